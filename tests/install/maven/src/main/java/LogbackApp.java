import ch.qos.logback.classic.LoggerContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

// Logback with the appender of lts-logback (src/main/resources/logback.xml): 20 records.
public class LogbackApp {
    public static void main(String[] args) {
        Logger log = LoggerFactory.getLogger("orders");
        MDC.put("request_id", "r-1");
        for (int i = 0; i < 20; i++) {
            log.info("order {} placed", i);
        }
        ((LoggerContext) LoggerFactory.getILoggerFactory()).stop(); // everything is sent first
    }
}
