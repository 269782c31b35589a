import Foundation
import HTTPTypes
import Hummingbird
import Logging
import HummingbirdTesting
import Storage
import Synchronization
import Testing

@testable import WalkaroundServer

@Suite("Health, readiness, metrics and the OpenAPI description")
struct OperationsTests {
    @Test(arguments: Backend.available)
    func healthReadyAndMetrics(_ backend: Backend) async throws {
        try await TestApp.run(backend) { app in
            let health = try await app.request(.get, "/health", key: nil)
            #expect(health.status == .ok)
            let ready = try await app.request(.get, "/ready", key: nil)
            #expect(ready.status == .ok)
            #expect(ready.object["status"] as? String == "ready")
            #expect(ready.object["pending_migrations"] == nil, "the service port (which the Ingress routes) shows no reasons")
            let detailed = try await app.operations("/ready")
            #expect(detailed.status == .ok)
            #expect(detailed.object["pending_migrations"] as? [Int] == [])
            #expect(try await app.request(.get, "/metrics", key: nil).status == .notFound, "metrics only on the metrics port")

            let id = try await app.createInspection()
            try await app.upload(TestImages.jpeg(), to: id)
            _ = try await app.waitUntilSettled(id)
            // What the on-call engineer's dashboards graph (docs/observability.md), after one photo.
            let expectations = [
                "walkaround_jobs_queued 0", "walkaround_photo_processing_seconds_count 1",
                #"http_request_duration_seconds_count{method="POST",route="/v1/inspections/{id}/photos",status="202"} 1"#,
                #"walkaround_uploads_total{station=""#, #"outcome="accepted"} 1"#, #"walkaround_photo_verdicts_total{station=""#,
                #"walkaround_jobs_due{kind="process_photo"} 0"#, #"walkaround_jobs_oldest_due_age_seconds{kind="process_photo"} 0"#,
                #"walkaround_job_queue_wait_seconds_count{kind="process_photo"} 1"#, #"walkaround_job_duration_seconds_count{kind="process_photo"} 1"#,
                #"walkaround_jobs_total{kind="process_photo",outcome="done"} 1"#, #"walkaround_jobs_in_flight{kind="process_photo"} 0"#,
                #"walkaround_db_connections_max{system="\#(backend == .postgres ? "postgresql" : "sqlite")"} "#,
                #"walkaround_db_query_seconds_count{system="\#(backend == .postgres ? "postgresql" : "sqlite")",operation="transaction"}"#,
                #"walkaround_build_info{version="dev",role="all"} 1"#, "process_cpu_seconds_total ", "process_resident_memory_bytes ", "process_open_fds ",
                #"walkaround_photo_stage_seconds_bucket{stage="decode_gate",le="+Inf"} 1"#,
            ]
            // The job's counters and gauges are recorded just after the commit the photo's status
            // shows, and the due-job gauges on their own beat: scrape until they are all there.
            var metrics = try await app.operations("/metrics")
            _ = try await eventually(.seconds(30)) {
                metrics = try await app.operations("/metrics")
                return expectations.allSatisfy { metrics.text.contains($0) }
            }
            #expect(metrics.status == .ok)
            let text = metrics.text
            for expected in expectations {
                #expect(text.contains(expected), "\(expected) in the scrape")
            }
            // Every metric says what it answers: a `# HELP` line before its `# TYPE` (promtool's lint).
            let lines = text.split(separator: "\n").map(String.init)
            for (index, line) in lines.enumerated() where line.hasPrefix("# TYPE ") {
                let name = line.split(separator: " ")[2]
                #expect(index > 0 && lines[index - 1].hasPrefix("# HELP \(name) "), "\(name) has no help: add it to WalkaroundMetrics.help")
            }
            let samples = lines.filter { !$0.hasPrefix("#") && !$0.isEmpty }
            #expect(samples.allSatisfy { Double($0.split(separator: " ").last ?? "") != nil }, "every sample's value is a number")
        }
    }

    /// Only the two trace headers of an API or inference request reach the propagator, and only
    /// at their W3C lengths: swift-otel logs the whole carrier when it cannot parse it, which with
    /// all the headers would put the caller's Authorization in the logs; anonymous pages and
    /// renter links cannot choose to be sampled.
    @Test func onlyTheTraceHeadersOfAPIRequestsAreContinued() {
        func request(_ path: String, _ fields: [(String, String)]) -> Request {
            var headers = HTTPFields()
            for (name, value) in fields { headers[HTTPField.Name(name)!] = value }
            return Request(head: HTTPRequest(method: .get, scheme: "http", authority: "x", path: path, headerFields: headers), body: .init(buffer: .init()))
        }
        let parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        let carrier = RequestObservationMiddleware<WalkaroundRequestContext>.traceCarrier(
            request("/v1/inspections", [("traceparent", parent), ("tracestate", "a=1"), ("Authorization", "Bearer secret")])
        )
        #expect(carrier == ["traceparent": parent, "tracestate": "a=1"])
        #expect(RequestObservationMiddleware<WalkaroundRequestContext>.traceCarrier(request("/v2/models/damage/infer", [("traceparent", parent)])) != nil)
        for (path, fields) in [
            ("/r/some-renter-token", [("traceparent", parent)]), ("/", [("traceparent", parent)]),
            ("/v1/inspections", [("traceparent", parent + ", " + parent)]), ("/v1/inspections", [("traceparent", "garbage")]),
            ("/v1/inspections", []),
        ] {
            #expect(RequestObservationMiddleware<WalkaroundRequestContext>.traceCarrier(request(path, fields)) == nil, "\(path) \(fields)")
        }
        let long = RequestObservationMiddleware<WalkaroundRequestContext>.traceCarrier(
            request("/v1/inspections", [("traceparent", parent), ("tracestate", String(repeating: "a", count: 600))])
        )
        #expect(long == ["traceparent": parent], "an overlong tracestate is dropped")
    }

    /// The JSON log line: a stable event name, the provider's trace ids, `request_id` for Hummingbird's id.
    @Test func logLinesCarryEventTraceAndRequestIDs() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("log-\(UUID().uuidString).jsonl").path
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let handle = try #require(FileHandle(forWritingAtPath: path))
        let provider = Logger.MetadataProvider { ["trace_id": "4bf92f3577b34da6a3ce929d0e0e4736", "span_id": "00f067aa0ba902b7"] }
        var logger = Logger(label: "test") { label in JSONLogHandler(label: label, stream: handle, metadataProvider: provider) }
        logger[metadataKey: "hb.request.id"] = "r-1"
        logger.info("job attempt failed", metadata: ["job_id": "j-1"])
        logger.info("request", metadata: ["event": "http_request"])
        logger.debug("below the level")
        try handle.close()
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map {
            try #require(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        #expect(lines.count == 2)
        #expect(lines.first?["event"] as? String == "job_attempt_failed")
        #expect(lines.first?["trace_id"] as? String == "4bf92f3577b34da6a3ce929d0e0e4736")
        #expect(lines.first?["span_id"] as? String == "00f067aa0ba902b7")
        #expect(lines.first?["request_id"] as? String == "r-1" && lines.first?["hb.request.id"] == nil)
        #expect(lines.first?["job_id"] as? String == "j-1")
        #expect(lines.last?["event"] as? String == "http_request", "an explicit event wins")
        #expect(JSONLogHandler.eventName("  Redis is answering again!  ") == "redis_is_answering_again")
    }

    @Test(arguments: Backend.available)
    func readinessFailsWhileMigrationsArePending(_ backend: Backend) async throws {
        try await TestApp.run(backend) { app in
            try await app.database.execute("DELETE FROM schema_migrations")
            let ready = try await app.request(.get, "/ready", key: nil)
            #expect(ready.status == .serviceUnavailable)
            #expect(ready.object["status"] as? String == "not_ready")
            let detailed = try await app.operations("/ready")
            #expect(detailed.status == .serviceUnavailable)
            #expect((detailed.object["pending_migrations"] as? [Int])?.isEmpty == false)
            #expect(try await app.request(.get, "/health", key: nil).status == .ok)
        }
    }

    @Test func openAPIDescribesExactlyTheServedRoutes() async throws {
        let environment = try await TestEnvironment.make(.sqlite)
        defer { environment.remove() }
        let components = try await WalkaroundComponents.open(settings: environment.settings(), metrics: WalkaroundMetrics(), logger: TestEnvironment.logger)
        let router = buildRouter(components: components)
        let served = Set(router.routes.map { "\($0.method.rawValue.uppercased()) \($0.path)" })
        let documented = Set(OpenAPISpec.operations(OpenAPIDocument.text))
        #expect(!served.isEmpty)
        #expect(served.subtracting(documented).isEmpty, "served but not documented: \(served.subtracting(documented).sorted())")
        #expect(documented.subtracting(served).isEmpty, "documented but not served: \(documented.subtracting(served).sorted())")

        let file = try String(contentsOfFile: #filePath.components(separatedBy: "/Tests/")[0] + "/docs/openapi.yaml", encoding: .utf8)
        #expect(file == OpenAPIDocument.text, "docs/openapi.yaml is the document the server serves")
        await components.database.close()

        try await TestApp.run(.sqlite) { app in
            let response = try await app.request(.get, "/openapi.yaml", key: nil)
            #expect(response.status == .ok)
            #expect(response.text == OpenAPIDocument.text)
        }
    }
}

/// Reads the operations (`METHOD /path`) out of the OpenAPI YAML's `paths:` block.
enum OpenAPISpec {
    static func operations(_ yaml: String) -> [String] {
        var operations: [String] = []
        var inPaths = false
        var path: String?
        for line in yaml.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("paths:") { inPaths = true; continue }
            if inPaths, let first = line.first, first != " ", first != "#" { inPaths = false }
            guard inPaths else { continue }
            if line.hasPrefix("  /"), line.hasSuffix(":") {
                path = String(line.dropFirst(2).dropLast())
            } else if let path, line.hasPrefix("    "), !line.hasPrefix("     ") {
                let key = line.trimmingCharacters(in: .whitespaces).dropLast()
                if ["get", "post", "put", "patch", "delete"].contains(String(key)) {
                    operations.append("\(key.uppercased()) \(path)")
                }
            }
        }
        return operations
    }
}

/// How the PostgreSQL connection's TLS is chosen: the URL's `sslmode` / `sslrootcert` first, then
/// `DATABASE_SSLMODE` / `DATABASE_SSL_ROOT_CERT` (for connection strings that carry neither).
@Suite("Database TLS settings")
struct DatabaseTLSTests {
    @Test func anUnreadableRootCertificateIsAClearErrorAtStart() throws {
        #expect {
            try PostgresDatabase(url: "postgres://app@db:5432/app", rootCertificate: "/nonexistent/ca.crt", logger: TestEnvironment.logger)
        } throws: { "\($0)".contains("/nonexistent/ca.crt") }
        #expect {
            try PostgresDatabase(url: "postgres://app@db:5432/app?sslrootcert=/nonexistent/url-ca.crt", logger: TestEnvironment.logger)
        } throws: { "\($0)".contains("/nonexistent/url-ca.crt") }
        #expect {
            try PostgresDatabase(url: "postgres://app@db:5432/app", sslMode: "sometimes", logger: TestEnvironment.logger)
        } throws: { "\($0)".contains("sometimes") }
    }

    /// Against the test server (no TLS on loopback): the default applies only where the URL is silent.
    @Test func theURLsModeWinsOverTheDefault() async throws {
        guard let url = ProcessInfo.processInfo.environment["WALKAROUND_TEST_POSTGRES_URL"] else { return }
        let plain = try #require(url.components(separatedBy: "?").first)
        /// Whether `SELECT 1` succeeds within `limit` (a refused TLS handshake fails or keeps
        /// retrying): 30 s where it must answer (the whole suite loads the machine), 10 where it must not.
        /// Unstructured and abandoned after the limit: a query waiting for a connection whose TLS
        /// handshake keeps failing did not always end when cancelled, and a task group waiting
        /// for it hung the whole suite in CI.
        func answers(_ database: PostgresDatabase, within limit: Duration = .seconds(30)) async -> Bool {
            let run = Task { try? await database.run() }
            let probe = Task { () -> Bool in
                guard let rows = try? await database.execute("SELECT 1 AS one") else { return false }
                return (try? rows.first?.int("one")) == 1
            }
            let answered = await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                let resumed = Mutex(false)
                let finish: @Sendable (Bool) -> Void = { value in
                    if resumed.withLock({ done in defer { done = true }; return !done }) { continuation.resume(returning: value) }
                }
                Task { finish(await probe.value) }
                Task {
                    try? await Task.sleep(for: limit)
                    finish(false)
                }
            }
            probe.cancel()
            run.cancel()
            return answered
        }
        #expect(await answers(try PostgresDatabase(url: url, sslMode: "require", logger: TestEnvironment.logger)), "the URL says disable")
        #expect(await answers(try PostgresDatabase(url: plain, sslMode: "disable", logger: TestEnvironment.logger)), "the default says disable")
        let refused = !(await answers(try PostgresDatabase(url: plain, sslMode: "require", logger: TestEnvironment.logger), within: .seconds(10)))
        #expect(refused, "the server has no TLS, and the default requires it")
    }
}
