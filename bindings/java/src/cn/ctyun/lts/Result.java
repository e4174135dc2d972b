package cn.ctyun.lts;

/** The outcome of one producer send, given to its {@link Callback} exactly once. */
public final class Result {
    private final int code;
    private final int statusCode;
    private final String error;
    private final String message;
    private final int attempts;
    private final long logCount;

    Result(int code, int statusCode, String error, String message, int attempts, long logCount) {
        this.code = code;
        this.statusCode = statusCode;
        this.error = error;
        this.message = message;
        this.attempts = attempts;
        this.logCount = logCount;
    }

    /** 0 when delivered; otherwise the {@code LtsException} code that ended it (e.g. CLOSED). */
    public int code() { return code; }

    public boolean ok() { return code == 0; }

    /** The service's statusCode (0 on success). */
    public int statusCode() { return statusCode; }

    /** The service's error code ("" on success), e.g. LTS_8011. */
    public String error() { return error; }

    public String message() { return message; }

    /** Requests made for this send's batch. */
    public int attempts() { return attempts; }

    /** The logs of this send. */
    public long logCount() { return logCount; }

    @Override
    public String toString() {
        return "Result{code=" + code + ", statusCode=" + statusCode + ", error=" + error + ", message=" + message
                + ", attempts=" + attempts + ", logCount=" + logCount + "}";
    }
}
