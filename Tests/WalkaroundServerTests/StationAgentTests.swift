import AsyncHTTPClient
import Foundation
import Imaging
import NIOCore
import TestFixtures
import Testing

@testable import WalkaroundServer

/// A `walkaround serve` process on a fixed port and data folder, so it can be killed and started again.
struct ServerProcess {
    let child: ChildProcess
    let port: Int

    static func start(port: Int, data: String) async throws -> ServerProcess {
        let child = try ChildProcess(
            walkaroundExecutable, ["serve", "--host", "127.0.0.1", "--port", "\(port)", "--metrics-port", "0", "--data-dir", data],
            environment: [
                "WALKAROUND_MODEL_PATH": "", "WALKAROUND_PLATES_ENABLED": "false", "LOG_LEVEL": "warning", "WALKAROUND_WORKER_POLL_MS": "50",
                "WALKAROUND_RATE_LIMIT_KEY_PER_MINUTE": "0", "WALKAROUND_RATE_LIMIT_STATION_PER_MINUTE": "0",
            ]
        )
        let server = ServerProcess(child: child, port: port)
        for _ in 0..<600 {
            if let response = try? await HTTPClient.shared.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/ready"), timeout: .seconds(2)),
                response.status == .ok
            {
                return server
            }
            guard child.isRunning else { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("the server did not start: \(child.output + child.errors)")
        throw CancellationError()
    }

    func kill() async {
        child.signal(SIGKILL)
        _ = try? await child.waitForExit(timeout: .seconds(10))
    }
}

/// The station agent against a real server: a bad shot is caught at the station, the queue
/// survives the server going away, the agent being killed mid-upload, and every photo arrives
/// exactly once.
@Suite("Station agent", .serialized)
struct StationAgentTests {
    static func get(_ url: String, key: String) async throws -> [String: Any] {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "Authorization", value: "Bearer \(key)")
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 8 << 20)
        return (try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any]) ?? [:]
    }

    @Test func everyPhotoArrivesExactlyOnceThroughOutagesAndKills() async throws {
        let root = NSTemporaryDirectory() + "walkaround-agent-\(UUID().uuidString.prefix(8))"
        let (data, watch, state) = (root + "/server", root + "/camera", root + "/agent")
        try FileManager.default.createDirectory(atPath: watch + "/pass-1", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let key = try await ChildProcess.run(
            walkaroundExecutable, ["keys", "create", "--role", "station", "--station", "MUC-01", "--name", "rig", "--data-dir", data], timeout: .seconds(60)
        ).output.trimmingCharacters(in: .whitespacesAndNewlines)
        let admin = try await ChildProcess.run(
            walkaroundExecutable, ["keys", "create", "--role", "admin", "--name", "ops", "--data-dir", data], timeout: .seconds(60)
        ).output.trimmingCharacters(in: .whitespacesAndNewlines)
        try Data(key.utf8).write(to: URL(fileURLWithPath: root + "/key"))
        let port = try await InferencePod.freePort()
        var server = try await ServerProcess.start(port: port, data: data)

        // The rig's pass: five good shots and a blurred one.
        try Data(#"{"kind": "checkout", "plate": "M-AB 1234"}"#.utf8).write(to: URL(fileURLWithPath: watch + "/pass-1/pass.json"))
        let views = ["front", "rear", "left", "right", "front_left"]
        for (index, view) in views.enumerated() {
            try Data(TestImages.jpeg(width: 1280, height: 960, seed: UInt8(40 + index))).write(to: URL(fileURLWithPath: watch + "/pass-1/\(view).jpg"))
        }
        let blurred = try SyntheticPhoto.jpeg(SyntheticPhoto.blurred(SyntheticPhoto.scene(width: 1280, height: 960, seed: 9), factor: 24))
        try Data(blurred).write(to: URL(fileURLWithPath: watch + "/pass-1/rear_right.jpg"))

        func startAgent() throws -> ChildProcess {
            try ChildProcess(
                walkaroundExecutable,
                ["station-agent", "run", "--watch", watch, "--state", state, "--server", "http://127.0.0.1:\(port)", "--key-file", root + "/key",
                 "--station", "MUC-01", "--max-bytes-per-second", "400000", "--poll-seconds", "0.2"],
                environment: ["LOG_LEVEL": "info"]
            )
        }
        func uploaded() async throws -> (id: String?, photos: [[String: Any]], status: String?) {
            let list = try await Self.get("http://127.0.0.1:\(port)/v1/inspections?station=MUC-01", key: admin)
            guard let item = (list["items"] as? [[String: Any]])?.first(where: { $0["reference"] as? String == "agent:pass-1" }), let id = item["id"] as? String else {
                return (nil, [], nil)
            }
            let detail = try await Self.get("http://127.0.0.1:\(port)/v1/inspections/\(id)", key: admin)
            return (id, detail["photos"] as? [[String: Any]] ?? [], detail["status"] as? String)
        }
        func waitFor(_ what: String, timeout: Duration = .seconds(120), _ condition: () async throws -> Bool) async throws {
            let deadline = ContinuousClock.now + timeout
            while ContinuousClock.now < deadline {
                if (try? await condition()) == true { return }
                try await Task.sleep(for: .milliseconds(100))
            }
            Issue.record("timed out waiting for \(what)")
            throw CancellationError()
        }

        var agent = try startAgent()
        let outcome = await Result {
            // The blurred shot is reported at the station within a second or two, and never sent.
            try await waitFor("the local rejection", timeout: .seconds(60)) { agent.output.contains("photo rejected here") || agent.errors.contains("photo rejected here") }
            try await waitFor("a first upload") { try await uploaded().photos.count >= 1 }
            // The server goes away mid-queue, then comes back on the same port and data.
            await server.kill()
            try await Task.sleep(for: .seconds(2))
            server = try await ServerProcess.start(port: port, data: data)
            // The agent is killed mid-queue (SIGKILL: no goodbye), then started again.
            try await waitFor("more uploads") { try await uploaded().photos.count >= 2 }
            agent.signal(SIGKILL)
            _ = try await agent.waitForExit(timeout: .seconds(10))
            agent = try startAgent()
            try Data().write(to: URL(fileURLWithPath: watch + "/pass-1/complete"))
            try await waitFor("the pass completed") { try await uploaded().status == "completed" }
            let (_, photos, _) = try await uploaded()
            let sent = photos.compactMap { $0["view"] as? String }.sorted()
            #expect(sent == views.sorted(), "each good shot exactly once, the blurred one never: \(sent)")
            agent.signal(SIGTERM)
            _ = try await agent.waitForExit(timeout: .seconds(20))
            let status = try await ChildProcess.run(walkaroundExecutable, ["station-agent", "status", "--state", state], timeout: .seconds(60))
            let object = try JSONSerialization.jsonObject(with: Data(status.output.utf8)) as? [String: Any] ?? [:]
            #expect((object["photos"] as? [String: Any])?["uploaded"] as? Int == 5, "\(status.output)")
            #expect((object["photos"] as? [String: Any])?["rejected"] as? Int == 1)
            #expect((object["rejected"] as? [String])?.first?.contains("rear_right") == true)
            #expect(object["passes_completed"] as? Int == 1 || object["passesCompleted"] as? Int == 1, "\(status.output)")
        }
        if agent.isRunning { agent.signal(SIGKILL) }
        await server.kill()
        try outcome.get()
    }
}
