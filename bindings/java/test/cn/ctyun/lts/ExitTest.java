package cn.ctyun.lts;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.File;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/** A JVM that exits without closing its producer still delivers what it sent. */
class ExitTest {
    @Test
    void jvmExitDeliversWhatAnUnclosedProducerHolds() throws Exception {
        try (LocalServer server = new LocalServer()) {
            String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
            Process child = new ProcessBuilder(java, "-cp", System.getProperty("lts.test.classpath"),
                    "cn.ctyun.lts.ExitChild", server.url, "exit").redirectErrorStream(true).start();
            // The linger is ten minutes: only the exit hook can send these in time.
            if (!child.waitFor(60, TimeUnit.SECONDS)) {
                child.destroyForcibly();
                throw new AssertionError("the child JVM did not exit");
            }
            assertEquals(0, child.exitValue());
            assertEquals(10, LocalServer.count(server.logs("jproj", "exit"), "\"origin_msg\":"));
        }
    }
}
