package cn.ctyun.lts;

/** Run by ExitTest in a JVM of its own: sends and returns from main without closing. */
public final class ExitChild {
    public static void main(String[] args) {
        Producer p = new Producer(new ProducerConfig().lingerMs(600000));
        p.addClient(new ClientConfig(args[0], "lts-local-ak", "lts-local-sk", "jproj"));
        p.start();
        for (int i = 0; i < 10; i++) {
            p.send("jproj", args[1], new LogItem(LogItem.nowNs(), "exit " + i), null);
        }
        System.out.println("sent, not closed");
    }
}
