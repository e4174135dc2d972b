import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.apache.logging.log4j.ThreadContext;

// Log4j 2 with the Lts appender of lts-log4j2 (src/main/resources/log4j2.xml): 20 records.
public class Log4jApp {
    public static void main(String[] args) {
        Logger log = LogManager.getLogger("orders");
        ThreadContext.put("request_id", "r-1");
        for (int i = 0; i < 20; i++) {
            log.info("order {} placed", i);
        }
        LogManager.shutdown(); // stops the appender: everything is sent first
    }
}
