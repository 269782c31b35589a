// Report-writing benchmark: generated return inspections (random damages, views, statuses) written
// by the self-hosted LLM and by the template, each LLM answer checked by the grounding checker.
//   report-bench LLM_URL [CASES] [SEED]
// Prints latency per provider (median, p90) and the grounding-failure rate of the LLM's answers.
import Foundation
import Logging
import Reporting
import TestFixtures
import WalkaroundCore

struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

func percentile(_ values: [Double], _ p: Double) -> Double {
    guard !values.isEmpty else { return .nan }
    let sorted = values.sorted()
    return sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * p).rounded()))]
}

func ms(_ d: Duration) -> Double { d.seconds * 1000 }

let arguments = CommandLine.arguments
guard arguments.count >= 2 else {
    print("usage: report-bench LLM_URL [CASES] [SEED]")
    exit(2)
}
let cases = arguments.count > 2 ? Int(arguments[2]) ?? 50 : 50
var rng = SeededGenerator(state: arguments.count > 3 ? UInt64(arguments[3]) ?? 1 : 1)
var logger = Logger(label: "report-bench")
logger.logLevel = .critical
let local = LLMProvider(name: "local", baseURL: arguments[1], model: "gemma-3-270m", timeout: .seconds(120), maxAttempts: 1, schemaStyle: .jsonObject)
let writer = ReportWriter(providers: [local], logger: logger)
let classes = ["scratch", "dent", "crack", "glass_shatter", "lamp_broken", "tire_flat"]
let views: [Photo.View] = [.front, .frontLeft, .left, .rearLeft, .rear, .rearRight, .right, .frontRight]

var llmTimes: [Double] = [], templateTimes: [Double] = []
var kept = 0, ungrounded = 0, malformed = 0, failed = 0
var reasons: [String: Int] = [:]
let clock = ContinuousClock()
for index in 0..<cases {
    func random(_ count: Int) -> [DamageSighting] {
        (0..<count).map { _ in
            sighting(
                classes.randomElement(using: &rng)!, views.randomElement(using: &rng)!, x: .random(in: 0.1...0.9, using: &rng),
                y: .random(in: 0.1...0.9, using: &rng), w: .random(in: 0.05...0.3, using: &rng), h: .random(in: 0.05...0.3, using: &rng),
                confidence: .random(in: 0.3...0.99, using: &rng)
            )
        }
    }
    let before = random(Int.random(in: 0...3, using: &rng))
    var after = before.map { sighting($0.className, $0.view, x: $0.centreX + 0.02, y: $0.centreY, confidence: $0.confidence) }
    after += random(Int.random(in: 0...3, using: &rng))
    let comparison = DamageComparator().compare(returned: after, checkout: checkout(before))
    var report = sampleReport()
    report.damages = comparison.damages
    report.notSeen = comparison.notSeen
    var prose = ReportProse(summary: "", damageNotes: [], provider: "")
    let elapsed = await clock.measure { prose = await writer.prose(for: report) }
    llmTimes.append(ms(elapsed))
    if prose.provider == "local" {
        kept += 1
    } else if let reason = prose.discarded.first {
        if reason.contains("ungrounded") {
            ungrounded += 1
            let first = reason.components(separatedBy: "ungrounded answer: ").last?.components(separatedBy: ";").first ?? reason
            let kind = first.split(separator: " ").prefix(2).joined(separator: " ")
            reasons[kind, default: 0] += 1
        } else if reason.contains("malformed") {
            malformed += 1
        } else {
            failed += 1
        }
    }
    let template = clock.measure { _ = ReportTemplate().prose(for: report) }
    templateTimes.append(ms(template))
    if index % 10 == 9 { print("\(index + 1) cases…") }
}
print(String(format: "local LLM (gemma-3-270m Q4_K_M, llama.cpp): median %.0f ms, p90 %.0f ms over %d cases", percentile(llmTimes, 0.5), percentile(llmTimes, 0.9), cases))
print(String(format: "template: median %.3f ms, p90 %.3f ms", percentile(templateTimes, 0.5), percentile(templateTimes, 0.9)))
print("kept (grounded): \(kept), ungrounded: \(ungrounded), malformed JSON: \(malformed), other failures: \(failed)")
print(String(format: "grounding-failure rate: %.0f %% of answers that parsed (%d of %d)", Double(ungrounded) / Double(max(1, kept + ungrounded)) * 100, ungrounded, kept + ungrounded))
print("first problem per ungrounded answer: \(reasons.sorted { $0.value > $1.value })")
