package cn.ctyun.lts;

/**
 * An error from liblts: {@link #code()} is the C API's {@code LTS_ERR_*} number, {@link #name()}
 * its name, the message liblts's detail (which argument, which key broke which rule, what the
 * service or the network said), and {@link #response()} the service's answer when it gave one.
 */
public class LtsException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    public static final int INVALID_ARGUMENT = 1, INVALID_KEY = 2, INVALID_VALUE = 3, TOO_LARGE = 4,
            INVALID_STATE = 5, AUTH = 100, NETWORK = 101, TIMEOUT = 102, SERVER = 103, BUFFER_FULL = 104,
            CLOSED = 105, REENTRANT = 106, INTERNAL = 900;

    private final int code;
    private final String name;
    private final Response response;

    public LtsException(int code, String name, String message, Response response) {
        super(name + ": " + message);
        this.code = code;
        this.name = name;
        this.response = response;
    }

    public int code() { return code; }

    public String name() { return name; }

    /** The service's answer, or null when there was none. */
    public Response response() { return response; }
}
