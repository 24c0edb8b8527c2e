import { describe, expect, it } from "vitest";
import { checkEndpoint } from "../../src/events/endpoint-policy.js";

describe("webhook endpoint policy", () => {
  it("allows loopback by default and other hosts only when configured", () => {
    for (const url of ["http://127.0.0.1:8080/hook", "http://127.5.0.1/x", "http://[::1]:9000/", "https://localhost/e", "http://api.localhost/e", "http://[::ffff:127.0.0.1]/e"]) {
      expect(checkEndpoint(url, [])).toBe(new URL(url).toString());
    }
    expect(() => checkEndpoint("https://hooks.example.com/e", [])).toThrow(/not loopback and not in events.allowedHosts/);
    expect(checkEndpoint("https://hooks.example.com/e", ["hooks.example.com"])).toBe("https://hooks.example.com/e");
    expect(checkEndpoint("http://10.0.0.5/e", ["10.0.0.5"])).toBe("http://10.0.0.5/e");
  });

  it("never allows metadata or link-local addresses, even when listed", () => {
    const listed = ["169.254.169.254", "metadata.google.internal", "fd00:ec2::254", "[fe80::1]", "100.100.100.200"];
    for (const url of ["http://169.254.169.254/latest/meta-data", "http://metadata.google.internal/", "http://[fd00:ec2::254]/", "http://[fe80::1]/", "http://100.100.100.200/", "http://[::ffff:169.254.169.254]/"]) {
      expect(() => checkEndpoint(url, listed), url).toThrow(/metadata or link-local/);
    }
  });

  it("refuses other schemes, credentials and garbage", () => {
    expect(() => checkEndpoint("ftp://127.0.0.1/x", [])).toThrow(/http/);
    expect(() => checkEndpoint("file:///etc/passwd", [])).toThrow(/http/);
    expect(() => checkEndpoint("http://user:pw@127.0.0.1/", [])).toThrow(/credentials/);
    expect(() => checkEndpoint("not a url", [])).toThrow(/absolute/);
  });
});
