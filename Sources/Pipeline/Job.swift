import Foundation
import WalkaroundCore

/// A unit of durable work: one photo to process, or one inspection's report to write.
public struct Job: Sendable, Equatable {
    public var id: UUID
    public var kind: Kind
    /// The photo of a `process_photo` job.
    public var photoID: UUID?
    /// The inspection of a `write_report` job.
    public var inspectionID: UUID?
    public var status: Status
    /// Claims so far, including the current one.
    public var attempts: Int
    public var maxAttempts: Int
    public var runAt: Date
    public var leaseUntil: Date?
    public var worker: String?
    public var lastError: String?

    public enum Kind: String, Sendable, Codable {
        case processPhoto = "process_photo"
        case writeReport = "write_report"
    }

    /// `queued` → `running` → `done`, or back to `queued` for a retry, or `failed` for good.
    public enum Status: String, Sendable, Codable {
        case queued
        case running
        case done
        case failed
    }
}

/// How a job's attempt ended when it did not succeed.
public struct JobFailure: Error, CustomStringConvertible {
    /// Whether another attempt could succeed (a database hiccup) or not (a corrupt file).
    public var retryable: Bool
    public var reason: String

    public static func permanent(_ reason: String) -> JobFailure { JobFailure(retryable: false, reason: reason) }
    public static func transient(_ reason: String) -> JobFailure { JobFailure(retryable: true, reason: reason) }

    public var description: String { reason }
}
