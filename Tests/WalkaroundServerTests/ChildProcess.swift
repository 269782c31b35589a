import Foundation
import Synchronization

/// A process a test starts: its standard output and error go to files (a pipe's reader blocks
/// until every holder of the pipe closes it), and its end is awaited without blocking a thread.
/// Foundation's `waitUntilExit` spins a run loop on the calling thread and, called from the
/// cooperative pool under load, did not always return: one such wait holds one of this machine's
/// two cooperative threads for good and hangs the whole run. The end is signalled by the
/// termination handler, set before the process starts so that a quick exit is not missed.
final class ChildProcess: Sendable {
    /// Status and reason once the process ended.
    struct Exit: Sendable, Equatable {
        let status: Int32
        let signalled: Bool
    }

    nonisolated(unsafe) let process: Process
    let outputPath: String
    let errorPath: String
    private let ended = Ended()

    private final class Ended: Sendable {
        let value = Mutex<Exit?>(nil)
    }

    /// Starts `executable`; `environment` is merged over this process's own.
    init(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let base = NSTemporaryDirectory() + "walkaround-child-\(UUID().uuidString.prefix(8))"
        outputPath = base + ".out"
        errorPath = base + ".err"
        for path in [outputPath, errorPath] { _ = FileManager.default.createFile(atPath: path, contents: nil) }
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errorPath))
        process.standardInput = FileHandle.nullDevice
        self.process = process
        process.terminationHandler = { [ended] finished in
            let exit = Exit(status: finished.terminationStatus, signalled: finished.terminationReason == .uncaughtSignal)
            ended.value.withLock { $0 = exit }
        }
        try process.run()
    }

    /// A test that threw before stopping its child does not leave it running.
    deinit {
        if isRunning { kill(pid, SIGKILL) }
        removeFiles()
    }

    var pid: Int32 { process.processIdentifier }
    var exit: Exit? { ended.value.withLock { $0 } }
    var isRunning: Bool { exit == nil }
    var output: String { (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "" }
    var errors: String { (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? "" }

    /// The exit once the process ended, or nil when it still runs after `timeout`.
    func waitForExit(timeout: Duration) async throws -> Exit? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let exit { return exit }
            try await Task.sleep(for: .milliseconds(20))
        }
        return exit
    }

    func signal(_ signal: Int32) { kill(pid, signal) }

    func removeFiles() {
        for path in [outputPath, errorPath] { try? FileManager.default.removeItem(atPath: path) }
    }

    /// Runs `executable` to its end and returns its status and output. One that is still running
    /// after `timeout` is killed and reported as a failure of the test, not waited for.
    static func run(
        _ executable: String, _ arguments: [String], environment: [String: String] = [:], timeout: Duration = .seconds(180)
    ) async throws -> (status: Int32, output: String, errors: String) {
        let child = try ChildProcess(executable, arguments, environment: environment)
        guard let exit = try await child.waitForExit(timeout: timeout) else {
            child.signal(SIGKILL)
            _ = try await child.waitForExit(timeout: .seconds(10))
            throw ChildProcessTimeout(command: ([executable] + arguments).joined(separator: " "), output: child.output + child.errors)
        }
        return (exit.status, child.output, child.errors)
    }
}

struct ChildProcessTimeout: Error, CustomStringConvertible {
    let command: String
    let output: String
    var description: String { "\(command) did not end in time; its output: \(output.suffix(2000))" }
}
