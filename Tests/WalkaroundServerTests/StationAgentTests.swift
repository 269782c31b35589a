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

    /// A station's rig: keys, a camera folder with one pass, the agent's folder.
    struct Rig {
        let root: String, data: String, watch: String, state: String, key: String, admin: String

        static func make(views: [String], blurred: String? = nil) async throws -> Rig {
            let root = NSTemporaryDirectory() + "walkaround-agent-\(UUID().uuidString.prefix(8))"
            let (data, watch) = (root + "/server", root + "/camera")
            try FileManager.default.createDirectory(atPath: watch + "/pass-1", withIntermediateDirectories: true)
            let key = try await ChildProcess.run(
                walkaroundExecutable, ["keys", "create", "--role", "station", "--station", "MUC-01", "--name", "rig", "--data-dir", data], timeout: .seconds(60)
            ).output.trimmingCharacters(in: .whitespacesAndNewlines)
            let admin = try await ChildProcess.run(
                walkaroundExecutable, ["keys", "create", "--role", "admin", "--name", "ops", "--data-dir", data], timeout: .seconds(60)
            ).output.trimmingCharacters(in: .whitespacesAndNewlines)
            try Data(key.utf8).write(to: URL(fileURLWithPath: root + "/key"))
            try Data(#"{"kind": "checkout", "plate": "M-AB 1234"}"#.utf8).write(to: URL(fileURLWithPath: watch + "/pass-1/pass.json"))
            for (index, view) in views.enumerated() {
                try Data(TestImages.jpeg(width: 1280, height: 960, seed: UInt8(40 + index))).write(to: URL(fileURLWithPath: watch + "/pass-1/\(view).jpg"))
            }
            if let blurred {
                let photo = try SyntheticPhoto.jpeg(SyntheticPhoto.blurred(SyntheticPhoto.scene(width: 1280, height: 960, seed: 9), factor: 24))
                try Data(photo).write(to: URL(fileURLWithPath: watch + "/pass-1/\(blurred).jpg"))
            }
            return Rig(root: root, data: data, watch: watch, state: root + "/agent", key: key, admin: admin)
        }

        func startAgent(port: Int, bytesPerSecond: Int = 400_000) throws -> ChildProcess {
            try ChildProcess(
                walkaroundExecutable,
                ["station-agent", "run", "--watch", watch, "--state", state, "--server", "http://127.0.0.1:\(port)", "--key-file", root + "/key",
                 "--station", "MUC-01", "--max-bytes-per-second", "\(bytesPerSecond)", "--poll-seconds", "0.2"],
                environment: ["LOG_LEVEL": "info"]
            )
        }

        func complete() throws { try Data().write(to: URL(fileURLWithPath: watch + "/pass-1/complete")) }

        /// The pass's inspection on the server (found by the agent's reference), its photos and status.
        func uploaded(port: Int) async throws -> (id: String?, photos: [[String: Any]], status: String?) {
            let list = try await StationAgentTests.get("http://127.0.0.1:\(port)/v1/inspections?station=MUC-01", key: admin)
            guard let item = (list["items"] as? [[String: Any]])?.first(where: { $0["reference"] as? String == "agent:pass-1" }), let id = item["id"] as? String else {
                return (nil, [], nil)
            }
            let detail = try await StationAgentTests.get("http://127.0.0.1:\(port)/v1/inspections/\(id)", key: admin)
            return (id, detail["photos"] as? [[String: Any]] ?? [], detail["status"] as? String)
        }

        /// `station-agent status` after the agent stopped.
        func status() async throws -> [String: Any] {
            let status = try await ChildProcess.run(walkaroundExecutable, ["station-agent", "status", "--state", state], timeout: .seconds(60))
            return try JSONSerialization.jsonObject(with: Data(status.output.utf8)) as? [String: Any] ?? [:]
        }

        func remove() { try? FileManager.default.removeItem(atPath: root) }
    }

    static func waitFor(_ what: String, timeout: Duration = .seconds(120), _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if (try? await condition()) == true { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("timed out waiting for \(what)")
        throw CancellationError()
    }

    @Test func everyPhotoArrivesExactlyOnceThroughOutagesAndKills() async throws {
        let views = ["front", "rear", "left", "right", "front_left"]
        let rig = try await Rig.make(views: views, blurred: "rear_right")
        defer { rig.remove() }
        let port = try await InferencePod.freePort()
        var server = try await ServerProcess.start(port: port, data: rig.data)
        var agent = try rig.startAgent(port: port)
        let outcome = await Result {
            // The blurred shot is reported at the station within a second or two, and never sent.
            try await Self.waitFor("the local rejection", timeout: .seconds(60)) { agent.output.contains("photo rejected here") || agent.errors.contains("photo rejected here") }
            try await Self.waitFor("a first upload") { try await rig.uploaded(port: port).photos.count >= 1 }
            // The server goes away mid-queue, then comes back on the same port and data.
            await server.kill()
            try await Task.sleep(for: .seconds(2))
            server = try await ServerProcess.start(port: port, data: rig.data)
            // The agent is killed mid-queue (SIGKILL: no goodbye), then started again.
            try await Self.waitFor("more uploads") { try await rig.uploaded(port: port).photos.count >= 2 }
            agent.signal(SIGKILL)
            _ = try await agent.waitForExit(timeout: .seconds(10))
            agent = try rig.startAgent(port: port)
            try rig.complete()
            try await Self.waitFor("the pass completed") { try await rig.uploaded(port: port).status == "completed" }
            let sent = try await rig.uploaded(port: port).photos.compactMap { $0["view"] as? String }.sorted()
            #expect(sent == views.sorted(), "each good shot exactly once, the blurred one never: \(sent)")
            agent.signal(SIGTERM)
            _ = try await agent.waitForExit(timeout: .seconds(20))
            let object = try await rig.status()
            #expect((object["photos"] as? [String: Any])?["uploaded"] as? Int == 5, "\(object)")
            #expect((object["photos"] as? [String: Any])?["rejected"] as? Int == 1)
            #expect((object["rejected"] as? [String])?.first?.contains("rear_right") == true)
            #expect(object["passes_completed"] as? Int == 1 || object["passesCompleted"] as? Int == 1, "\(object)")
        }
        if agent.isRunning { agent.signal(SIGKILL) }
        await server.kill()
        try outcome.get()
    }

    /// A TCP forwarder between the agent and the server: killing it is the network cut (uploads in
    /// flight break, new connections are refused) while the server runs on.
    static func startLink(from port: Int, to target: Int) throws -> ChildProcess {
        let script = """
            import socket, sys, threading
            server = socket.socket()
            server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            server.bind(("127.0.0.1", int(sys.argv[1])))
            server.listen(64)
            print("listening", flush=True)
            def pipe(a, b):
                try:
                    while True:
                        data = a.recv(65536)
                        if not data:
                            break
                        b.sendall(data)
                except OSError:
                    pass
                for s in (a, b):
                    try:
                        s.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
            while True:
                client, _ = server.accept()
                try:
                    upstream = socket.create_connection(("127.0.0.1", int(sys.argv[2])))
                except OSError:
                    client.close()
                    continue
                threading.Thread(target=pipe, args=(client, upstream), daemon=True).start()
                threading.Thread(target=pipe, args=(upstream, client), daemon=True).start()
            """
        return try ChildProcess("/usr/bin/python3", ["-c", script, "\(port)", "\(target)"])
    }

    /// The network is cut for a minute mid-queue: nothing reaches the server, the agent keeps
    /// everything, and when the link is back every photo arrives exactly once, soon.
    @Test func aMinuteWithoutNetworkLosesAndDoublesNothing() async throws {
        let views = ["front", "rear", "left", "right", "front_left", "front_right"]
        let rig = try await Rig.make(views: views)
        defer { rig.remove() }
        let (port, linkPort) = (try await InferencePod.freePort(), try await InferencePod.freePort())
        let server = try await ServerProcess.start(port: port, data: rig.data)
        var link = try Self.startLink(from: linkPort, to: port)
        // Slow uploads (a station's uplink), so that the cut comes with photos still queued.
        let agent = try rig.startAgent(port: linkPort, bytesPerSecond: 50_000)
        let outcome = await Result {
            try await Self.waitFor("the link", timeout: .seconds(30)) { link.output.contains("listening") }
            try await Self.waitFor("a first upload") { try await rig.uploaded(port: port).photos.count >= 1 }
            link.signal(SIGKILL)
            _ = try await link.waitForExit(timeout: .seconds(10))
            try await Task.sleep(for: .seconds(2))
            let atCut = try await rig.uploaded(port: port).photos.count
            try await Task.sleep(for: .seconds(60))
            #expect(try await rig.uploaded(port: port).photos.count == atCut, "nothing got through the cut link")
            #expect(atCut < views.count, "the cut came mid-queue: \(atCut) of \(views.count) were through")
            #expect(agent.isRunning, "the agent waits out the outage: \(agent.errors.suffix(2000))")
            link = try Self.startLink(from: linkPort, to: port)
            try rig.complete()
            let restored = ContinuousClock.now
            try await Self.waitFor("an upload after the cut") { try await rig.uploaded(port: port).photos.count > atCut }
            // The back-off caps unanswered tries at 15 s: the next one comes within it (and the
            // slack a loaded machine needs), not after the 5-minute cap for answers.
            #expect(ContinuousClock.now - restored < .seconds(45), "the queue resumes within the back-off's 15 s cap for unanswered tries")
            try await Self.waitFor("the pass completed") { try await rig.uploaded(port: port).status == "completed" }
            let sent = try await rig.uploaded(port: port).photos.compactMap { $0["view"] as? String }.sorted()
            #expect(sent == views.sorted(), "each shot exactly once: \(sent)")
            agent.signal(SIGTERM)
            _ = try await agent.waitForExit(timeout: .seconds(20))
            #expect((try await rig.status()["photos"] as? [String: Any])?["uploaded"] as? Int == views.count)
        }
        if agent.isRunning { agent.signal(SIGKILL) }
        link.signal(SIGKILL)
        await server.kill()
        try outcome.get()
    }
}
