import Foundation
import Hummingbird
import Logging
import NIOCore
import Reporting
import TestFixtures
import Synchronization
import Testing
import WalkaroundCore

@testable import WalkaroundServer

/// A local HTTP server that plays the external fallback API (the one thing outside our control):
/// `/{mode}/v1/chat/completions` answers as `mode` says, and every request is recorded.
final class FallbackStandIn: Sendable {
    let requests = Mutex<[(mode: String, authorization: String?)]>([])
    let good: String

    init(good: ReportProse) {
        let answer: [String: Any] = ["summary": good.summary, "damages": good.damageNotes.map { ["id": $0.id, "text": $0.text] }]
        self.good = String(decoding: try! JSONSerialization.data(withJSONObject: answer), as: UTF8.self)
    }

    func hits(_ mode: String) -> Int { requests.withLock { $0.filter { $0.mode == mode }.count } }

    /// What mode `held` answers once the test gives it (until then its requests wait, up to 60 s).
    let heldAnswer = Mutex<String?>(nil)

    func answerHeld(with prose: ReportProse) {
        let answer: [String: Any] = ["summary": prose.summary, "damages": prose.damageNotes.map { ["id": $0.id, "text": $0.text] }]
        heldAnswer.withLock { $0 = String(decoding: try! JSONSerialization.data(withJSONObject: answer), as: UTF8.self) }
    }

    static func completion(_ content: String) -> String {
        String(decoding: try! JSONSerialization.data(withJSONObject: ["choices": [["index": 0, "message": ["role": "assistant", "content": content]]]]), as: UTF8.self)
    }

    func respond(mode: String, authorization: String?) async throws -> Response {
        let seen = requests.withLock {
            $0.append((mode, authorization))
            return $0.filter { $0.mode == mode }.count
        }
        func json(_ status: HTTPResponse.Status, _ body: String, _ headers: HTTPFields = [:]) -> Response {
            var fields: HTTPFields = [.contentType: "application/json"]
            fields.append(contentsOf: headers)
            return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(string: body)))
        }
        switch mode {
        case "good": return json(.ok, Self.completion(good))
        case "slow":
            try await Task.sleep(for: .seconds(30))
            return json(.ok, Self.completion(good))
        case "held":
            let deadline = ContinuousClock.now + .seconds(60)
            while ContinuousClock.now < deadline {
                if let answer = heldAnswer.withLock({ $0 }) { return json(.ok, Self.completion(answer)) }
                try await Task.sleep(for: .milliseconds(20))
            }
            return json(.gatewayTimeout, #"{"error":"never released"}"#)
        case "busy-once": return seen == 1 ? json(.tooManyRequests, #"{"error":"rate limited"}"#, [.retryAfter: "0"]) : json(.ok, Self.completion(good))
        case "broken": return json(.internalServerError, #"{"error":"boom"}"#)
        case "garbled": return json(.ok, Self.completion("Sure! Here is your report: the car is fine."))
        case "not-a-completion": return json(.ok, #"{"unexpected": true"#)
        case "liar":
            let lie = #"{"summary": "Two new dents on the bonnet of M XY 9876.", "damages": [{"id": "D1", "text": "A new dent."}, {"id": "D9", "text": "A new crack."}]}"#
            return json(.ok, Self.completion(lie))
        default: return json(.notFound, "{}")
        }
    }

    /// Runs the stand-in on a free loopback port for the duration of `body`.
    func run(_ body: @Sendable (Int) async throws -> Void) async throws {
        let router = Router()
        router.post(":mode/v1/chat/completions") { request, context in
            try await self.respond(mode: context.parameters.get("mode") ?? "", authorization: request.headers[.authorization])
        }
        let port = Mutex<Int?>(nil)
        var logger = Logger(label: "fallback-stand-in")
        logger.logLevel = .critical
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in port.withLock { $0 = channel.localAddress?.port } }, logger: logger
        )
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.runService() }
            while port.withLock({ $0 }) == nil { try await Task.sleep(for: .milliseconds(10)) }
            try await body(port.withLock { $0! })
            group.cancelAll()
        }
    }
}

@Suite("Report writer: provider chain, retries, grounding")
struct ReportWriterTests {
    let report = sampleReport()
    var good: ReportProse {
        ReportProse(
            summary: "One new scratch on the left side, 1 pre-existing dent at the rear.",
            damageNotes: [.init(id: "D1", text: "New scratch on the left side."), .init(id: "D2", text: "Dent at the rear, already there."),
                .init(id: "C1", text: "Crack at the front, not seen again.")],
            provider: "x"
        )
    }

    /// A provider of the stand-in. The default timeout is generous: tests start together on a
    /// loaded 2-core machine, and only the timeout test is about timing out.
    func provider(_ name: String, _ port: Int, _ mode: String, timeout: Duration = .seconds(20), attempts: Int = 2, edge: Bool = true) -> LLMProvider {
        LLMProvider(
            name: name, baseURL: "http://127.0.0.1:\(port)/\(mode)/v1", model: "gpt-4o", apiKey: "sk-test", timeout: timeout, maxAttempts: attempts,
            backoff: .milliseconds(20), takesEdgeCases: edge
        )
    }

    func writer(_ providers: [LLMProvider], metrics: WalkaroundMetrics) -> ReportWriter {
        ReportWriter(providers: providers, metrics: metrics.factory, logger: TestEnvironment.logger)
    }

    @Test func aGroundedAnswerIsKeptAndTheKeyIsSent() async throws {
        let standIn = FallbackStandIn(good: good)
        try await standIn.run { port in
            let metrics = WalkaroundMetrics()
            let prose = await writer([provider("fallback", port, "good")], metrics: metrics).prose(for: report)
            #expect(prose.provider == "fallback")
            #expect(prose.summary == good.summary)
            #expect(standIn.requests.withLock { $0.first?.authorization } == "Bearer sk-test")
            let text = String(decoding: metrics.exposition(), as: UTF8.self)
            #expect(text.contains(#"walkaround_llm_requests_total{outcome="ok",provider="fallback"} 1"#) || text.contains(#"walkaround_llm_requests_total{provider="fallback",outcome="ok"} 1"#), "\(text)")
        }
    }

    @Test func aTimeoutFallsThroughToTheNextProvider() async throws {
        let standIn = FallbackStandIn(good: good)
        try await standIn.run { port in
            let started = ContinuousClock.now
            let prose = await writer(
                [provider("local", port, "slow", timeout: .seconds(3), attempts: 2), provider("fallback", port, "good")], metrics: WalkaroundMetrics()
            ).prose(for: report)
            #expect(prose.provider == "fallback")
            #expect(prose.discarded.count == 1)
            #expect(prose.discarded.first?.contains("timed out") == true)
            #expect(standIn.hits("slow") == 2, "a timeout is retried once")
            // The slow server answers after 30 s. Two 3 s attempts (long enough to reach the server on
            // a loaded machine) take 6 s; the bound leaves room for the load (a CI run saw 8 s of
            // overhead while every suite started at once), and waiting once for the slow server breaks it.
            #expect(ContinuousClock.now - started < .seconds(25), "the client does not wait for the slow server (30 s)")
        }
    }

    @Test func aRateLimitIsRetriedAfterBackoff() async throws {
        let standIn = FallbackStandIn(good: good)
        try await standIn.run { port in
            let metrics = WalkaroundMetrics()
            let prose = await writer([provider("fallback", port, "busy-once")], metrics: metrics).prose(for: report)
            #expect(prose.provider == "fallback")
            #expect(standIn.hits("busy-once") == 2)
            let text = String(decoding: metrics.exposition(), as: UTF8.self)
            #expect(text.contains("rate_limited"))
        }
    }

    @Test(arguments: [("broken", "HTTP 500"), ("garbled", "malformed"), ("not-a-completion", "malformed"), ("liar", "ungrounded")])
    func unusableAnswersEndWithTheTemplate(mode: String, reason: String) async throws {
        let standIn = FallbackStandIn(good: good)
        try await standIn.run { port in
            let metrics = WalkaroundMetrics()
            let prose = await writer([provider("fallback", port, mode)], metrics: metrics).prose(for: report)
            #expect(prose.provider == "template")
            #expect(prose.discarded.count == 1)
            #expect(prose.discarded.first?.contains(reason) == true, "\(prose.discarded)")
            #expect(GroundingChecker().problems(in: prose, for: report).isEmpty)
            // A 500 is retried (it may pass); a bad answer is not (the same prompt gives the same answer).
            #expect(standIn.hits(mode) == (mode == "broken" ? 2 : 1))
            let text = String(decoding: metrics.exposition(), as: UTF8.self)
            #expect(text.contains(#"walkaround_reports_total{provider="template"} 1"#), "\(text)")
        }
    }

    @Test func edgeCasesSkipTheSelfHostedModel() async throws {
        let standIn = FallbackStandIn(good: good)
        try await standIn.run { port in
            let edge = sampleReport(edgeCases: ["the photos show plate M XY 9876, not the declared one"])
            let chain = [provider("local", port, "liar", edge: false), provider("fallback", port, "good")]
            let prose = await writer(chain, metrics: WalkaroundMetrics()).prose(for: edge)
            #expect(prose.provider == "fallback")
            #expect(standIn.hits("liar") == 0)
            // A routine case goes to the self-hosted model first (whose lie is then discarded).
            let routine = await writer(chain, metrics: WalkaroundMetrics()).prose(for: report)
            #expect(standIn.hits("liar") == 1)
            #expect(routine.provider == "fallback")
        }
    }

    @Test func unreachableProvidersEndWithTheTemplate() async throws {
        let prose = await writer(
            [LLMProvider(name: "local", baseURL: "http://127.0.0.1:9/v1", model: "m", timeout: .milliseconds(500), maxAttempts: 1)], metrics: WalkaroundMetrics()
        ).prose(for: report)
        #expect(prose.provider == "template")
        #expect(prose.discarded.first?.hasPrefix("local: unreachable") == true || prose.discarded.first?.contains("timed out") == true, "\(prose.discarded)")
    }
}

/// The self-hosted model, served by llama.cpp (llama-cpp-python) that `make test` starts.
@Suite("Report writer with the local llama.cpp server")
struct LocalLLMTests {
    static var url: String? { ProcessInfo.processInfo.environment["WALKAROUND_TEST_LLM_URL"] }
    static var required: Bool { ProcessInfo.processInfo.environment["WALKAROUND_TEST_REQUIRE_LLM"] == "1" }

    @Test func theLocalServerAnswersTheSchemaAndItsAnswerIsChecked() async throws {
        guard let url = Self.url else {
            #expect(!Self.required, "WALKAROUND_TEST_LLM_URL is not set: run the tests with `make test`")
            return
        }
        // The server answers one request at a time and the API tests' reports queue on it too,
        // on a 2-core machine: the timeout covers waiting for them.
        let local = LLMProvider(name: "local", baseURL: url, model: "gemma-3-270m", timeout: .seconds(300), maxAttempts: 1, schemaStyle: .jsonObject)
        let report = sampleReport()
        // The grammar-constrained answer is JSON with the schema's keys.
        let content = try await ChatCompletionsClient().complete(
            .init(system: "Answer in JSON.", user: "Summarise: one new scratch.", schemaName: "r", schema: ["type": "object", "properties": ["summary": ["type": "string"]], "required": ["summary"]], maxTokens: 60),
            with: local
        )
        #expect(!content.isEmpty)
        let metrics = WalkaroundMetrics()
        let prose = await ReportWriter(providers: [local], metrics: metrics.factory, logger: TestEnvironment.logger).prose(for: report)
        // Whoever wrote it, what is kept is grounded and names the new damage.
        #expect(GroundingChecker().problems(in: prose, for: report).isEmpty)
        #expect(prose.damageNotes.contains { $0.id == "D1" })
        let text = String(decoding: metrics.exposition(), as: UTF8.self)
        let answered = ["ok", "ungrounded", "malformed"].contains { text.contains(#"outcome="\#($0)""#) }
        #expect(answered, "the local server answered HTTP 200: \(text)")
        #expect(prose.provider == "local" || prose.discarded.first?.hasPrefix("local: ") == true)
    }

    /// Asked for German, the local model answers in German or its answer is discarded: whatever
    /// is kept is German and passes the German grounding check.
    @Test func aStationsLanguageIsAskedForAndCheckedInThatLanguage() async throws {
        guard let url = Self.url else {
            #expect(!Self.required, "WALKAROUND_TEST_LLM_URL is not set: run the tests with `make test`")
            return
        }
        let local = LLMProvider(name: "local", baseURL: url, model: "gemma-3-270m", timeout: .seconds(300), maxAttempts: 1, schemaStyle: .jsonObject)
        let report = sampleReport()
        let metrics = WalkaroundMetrics()
        let prose = await ReportWriter(providers: [local], metrics: metrics.factory, logger: TestEnvironment.logger).prose(for: report, language: .de)
        #expect(prose.language == .de)
        #expect(GroundingChecker(language: .de).problems(in: prose, for: report).isEmpty, "\(prose)")
        #expect(prose.damageNotes.contains { $0.id == report.damages(.new)[0].id })
        let text = String(decoding: metrics.exposition(), as: UTF8.self)
        #expect(["ok", "ungrounded", "malformed"].contains { text.contains(#"outcome="\#($0)""#) }, "the local server answered: \(text)")
        if prose.provider == "template" { #expect(prose.summary.contains("Gefunden: 1 neuer Schaden.")) }
    }
}
