package cn.ctyun.lts;

/**
 * Where and as whom to send: endpoint, access key, secret key, log project, and any client
 * option of CONFIGURATION.md by name ({@code set("request_timeout_ms", 5000)}).
 */
public final class ClientConfig extends Options<ClientConfig> {
    final String endpoint, accessKey, secretKey, logProject;

    public ClientConfig(String endpoint, String accessKey, String secretKey, String logProject) {
        this.endpoint = endpoint;
        this.accessKey = accessKey;
        this.secretKey = secretKey;
        this.logProject = logProject == null ? "" : logProject;
    }

    public String endpoint() { return endpoint; }

    public String logProject() { return logProject; }

    @Override
    void check(String key, String value) { Native.checkClientOption(key, value); }

    public ClientConfig requestTimeoutMs(long ms) { return set("request_timeout_ms", ms); }

    public ClientConfig retries(long n) { return set("retries", n); }

    @Override
    public String toString() { return "ClientConfig{endpoint=" + endpoint + ", logProject=" + logProject + "}"; }
}
