package cn.ctyun.lts;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Starts and stops an lts-local process for the tests (LTS_LOCAL_BIN, or the repository's build). */
final class LocalServer implements AutoCloseable {
    final String url;
    private final Process proc;
    private final File dir;

    LocalServer(String... args) throws Exception {
        String bin = System.getenv("LTS_LOCAL_BIN");
        if (bin == null) {
            for (String p : new String[] {"target/release/lts-local", "target/debug/lts-local"}) {
                if (new File(p).canExecute()) { bin = p; break; }
            }
        }
        if (bin == null) throw new IllegalStateException("no lts-local: set LTS_LOCAL_BIN");
        dir = Files.createTempDirectory("lts-java").toFile();
        File port = new File(dir, "port");
        List<String> cmd = new ArrayList<>(Arrays.asList(bin, "--listen", "127.0.0.1:0", "--port-file", port.getPath(), "--memory"));
        cmd.addAll(Arrays.asList(args));
        proc = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (!(port.exists() && port.length() > 0)) {
            if (!proc.isAlive() || System.nanoTime() > deadline) throw new IllegalStateException("lts-local did not start");
            Thread.sleep(10);
        }
        url = "http://127.0.0.1:" + new String(Files.readAllBytes(port.toPath()), StandardCharsets.UTF_8).trim();
    }

    String get(String path) throws Exception {
        HttpURLConnection c = (HttpURLConnection) new URL(url + path).openConnection();
        try (InputStream in = c.getInputStream()) {
            return read(in);
        }
    }

    String post(String path, String json) throws Exception {
        HttpURLConnection c = (HttpURLConnection) new URL(url + path).openConnection();
        c.setRequestMethod("POST");
        c.setDoOutput(true);
        try (OutputStream out = c.getOutputStream()) {
            out.write(json.getBytes(StandardCharsets.UTF_8));
        }
        try (InputStream in = c.getInputStream()) {
            return read(in);
        }
    }

    /** The stored logs of one unit, as lts-local's JSON. */
    String logs(String project, String unit) throws Exception {
        return get("/_lts/logs?project=" + project + "&unit=" + unit);
    }

    static int count(String haystack, String needle) {
        int n = 0;
        for (int i = haystack.indexOf(needle); i >= 0; i = haystack.indexOf(needle, i + needle.length())) n++;
        return n;
    }

    private static String read(InputStream in) throws Exception {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        for (int n; (n = in.read(buf)) > 0; ) b.write(buf, 0, n);
        return new String(b.toByteArray(), StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        proc.destroy();
        try {
            proc.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (File f : dir.listFiles()) f.delete();
        dir.delete();
    }
}
