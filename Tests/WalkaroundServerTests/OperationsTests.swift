import Foundation
import HTTPTypes
import Hummingbird
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
            let metrics = try await app.operations("/metrics")
            #expect(metrics.status == .ok)
            #expect(metrics.text.contains("walkaround_jobs_queued 0"))
            #expect(metrics.text.contains("walkaround_photo_processing_seconds_count 1"))
            #expect(metrics.text.contains(#"http_request_duration_seconds_count{method="POST",route="/v1/inspections/{id}/photos",status="202"} 1"#))
        }
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
