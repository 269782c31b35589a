import Foundation
import Pipeline
import Testing
import WalkaroundCore

/// Where webhooks may go, and how they are signed.
@Suite("Webhook targets and signatures")
struct WebhookPolicyTests {
    @Test(arguments: [
        ("ftp://example.com/hook", "http or https"), ("http:///hook", "no host"), ("https://user:pw@example.com/", "credentials"),
        ("http://127.0.0.1:8080/", "internal address"), ("http://10.0.0.7/", "internal address"), ("http://169.254.169.254/latest/meta-data", "internal address"),
        ("http://[::1]/", "internal address"), ("http://[fd00::1]/", "internal address"), ("http://[::ffff:192.168.1.1]/", "internal address"),
        ("http://100.64.0.1/", "internal address"), ("http://0.0.0.0/", "internal address"), ("http://localhost/", "internal name"),
        ("http://api.svc.cluster.local/", "internal name"), ("https://example.com/#frag", "fragment"), ("not a url at all", "http or https"),
        // Read as octal or hex by the system resolver (10.1.2.3, 127.0.0.1): an address in disguise.
        ("http://012.1.2.3/", "not a plain IPv4"), ("http://172.032.0.1/", "not a plain IPv4"), ("http://0x7f.1/", "not a plain IPv4"),
        ("http://2130706433/", "not a plain IPv4"), ("http://127.1/", "not a plain IPv4"), ("http://1.2.3.0x10./", "not a plain IPv4"),
    ])
    func internalOrMalformedTargetsAreRefused(_ url: String, _ reason: String) {
        switch WebhookTargetPolicy().check(url) {
        case .success(let host): Issue.record("\(url) was allowed (host \(host))")
        case .failure(let refusal): #expect(refusal.reason.contains(reason), "\(url): \(refusal.reason)")
        }
    }

    @Test func publicTargetsAndAllowedHostsPass() throws {
        #expect(try WebhookTargetPolicy().check("https://hooks.example.com/walkaround?fleet=eu").get() == "hooks.example.com")
        #expect(try WebhookTargetPolicy().check("http://93.184.215.14:8443/x").get() == "93.184.215.14")
        #expect(try WebhookTargetPolicy().check("http://hooks.example.com.:80/x").get() == "hooks.example.com.")
        #expect(try WebhookTargetPolicy().check("http://10.example/x").get() == "10.example", "a numeric label that is not the last is a name")
        #expect(try WebhookTargetPolicy(allowedHosts: ["127.0.0.1"]).check("http://127.0.0.1:9/hook").get() == "127.0.0.1")
        #expect((try? WebhookTargetPolicy().check("https://" + String(repeating: "a", count: 2100) + ".com/").get()) == nil)
        // A public name that resolves inside is refused at delivery.
        let policy = WebhookTargetPolicy()
        #expect(policy.allows(host: "evil.example", resolvedTo: [IPAddress("93.184.215.14")!, IPAddress("10.0.0.1")!])?.reason.contains("10.0.0.1") == true)
        #expect(policy.allows(host: "good.example", resolvedTo: [IPAddress("93.184.215.14")!, IPAddress("2606:2800:21f:cb07::1")!]) == nil)
        #expect(policy.allows(host: "gone.example", resolvedTo: []) != nil)
    }

    @Test func addressesParseAndClassify() {
        #expect(IPAddress("192.168.0.1")?.isInternal == true)
        #expect(IPAddress("172.32.0.1")?.isInternal == false)
        #expect(IPAddress("8.8.8.8")?.isInternal == false)
        #expect(IPAddress("fe80::1%eth0")?.isInternal == true)
        #expect(IPAddress("2001:db8::1")?.isInternal == true)
        #expect(IPAddress("2a00:1450:4001:81c::200e")?.isInternal == false)
        #expect(IPAddress("64:ff9b::7f00:1")?.isInternal == true, "NAT64 of 127.0.0.1")
        for bad in ["256.1.1.1", "1.2.3", "1.2.3.4.5", "::1::2", "12345::", "1:2:3:4:5:6:7:8:9", "", "01.2.3.4x", ":::"] {
            #expect(IPAddress(bad) == nil, "\(bad)")
        }
        #expect(IPAddress("::ffff:10.1.2.3")?.isInternal == true)
        #expect(IPAddress("1::")?.description == "1:0:0:0:0:0:0:0")
    }

    @Test func signaturesFollowStandardWebhooks() throws {
        // The specification's example message; the signature as the reference library (standardwebhooks 1.1.0) computes it.
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
        let signature = WebhookSignature.sign(secret: secret, messageID: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1_614_265_330, body: #"{"test": 2432232314}"#)
        #expect(signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        #expect(WebhookSignature.sign(secret: "not-a-secret", messageID: "m", timestamp: 1, body: "") == nil)
        let made = WebhookSignature.makeSecret()
        #expect(made.hasPrefix("whsec_") && Data(base64Encoded: String(made.dropFirst(6)))?.count == 32)
    }
}
