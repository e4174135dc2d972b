package cn.ctyun.lts;

/** The service's answer to a put: {@code statusCode} 0 and "SUCCESS", or an error code such as LTS_8011. */
public final class Response {
    private final int statusCode;
    private final String message;
    private final String error;

    public Response(int statusCode, String message, String error) {
        this.statusCode = statusCode;
        this.message = message;
        this.error = error;
    }

    public int statusCode() { return statusCode; }

    public String message() { return message; }

    /** "" on success, otherwise a code such as {@code LTS_8011}. */
    public String error() { return error; }

    public boolean ok() { return statusCode == 0 && error.isEmpty(); }

    /** The answer as the service's JSON body. */
    @Override
    public String toString() {
        return "{\"statusCode\":" + statusCode + ",\"message\":" + Json.quote(message) + ",\"error\":" + Json.quote(error) + "}";
    }
}
