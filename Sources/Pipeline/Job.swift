import Foundation
import Storage
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
    /// The claim that holds a `running` job: every transition names it, so a worker whose lease ran
    /// out (and whose job another worker took over) changes nothing with its late writes.
    public var claimID: UUID?
    /// How often the job was claimed again after its lease ran out while `running`: each one is a
    /// worker that died (or stalled) mid-job.
    public var reclaims: Int
    public var lastError: String?
    /// The webhook delivery of a `deliver_webhook` job.
    public var deliveryID: UUID? = nil
    /// The W3C trace context of the request that queued it (see `TraceContext`), nil when untraced.
    public var traceContext: String? = nil
    /// When it was queued: how long it has waited out an outage (`JobFailure.unavailable`).
    public var createdAt: Date? = nil

    public enum Kind: String, Sendable, Codable, CaseIterable {
        case processPhoto = "process_photo"
        case writeReport = "write_report"
        case deliverWebhook = "deliver_webhook"
    }

    /// `queued` → `running` → `done`, or back to `queued` for a retry, or `failed` for good, or
    /// `quarantined`: its workers died on it too often, so it is never run again (a poison input).
    public enum Status: String, Sendable, Codable {
        case queued
        case running
        case done
        case failed
        case quarantined
    }
}

/// How a job's attempt ended when it did not succeed.
public struct JobFailure: Error, CustomStringConvertible {
    /// Whether another attempt could succeed (a database hiccup) or not (a corrupt file).
    public var retryable: Bool
    public var reason: String
    /// Something the job needs is down (the inference pods, the photo store, the database), not
    /// the job itself: waited out without counting attempts, up to `RetryPolicy.outageLimit`.
    public var waitsForDependency = false

    public static func permanent(_ reason: String) -> JobFailure { JobFailure(retryable: false, reason: reason) }
    public static func transient(_ reason: String) -> JobFailure { JobFailure(retryable: true, reason: reason) }
    /// A dependency is down: the attempt is not counted while the job is younger than the outage limit.
    public static func unavailable(_ reason: String) -> JobFailure { JobFailure(retryable: true, reason: reason, waitsForDependency: true) }

    public var description: String { reason }

    /// What an error means for the job: a `JobFailure` says it; the database or the photo store
    /// down (`StorageError.unavailable`) is waited out; a corrupt stored photo fails it for good;
    /// anything else is retried and counted.
    public static func of(_ error: any Error) -> JobFailure {
        if let failure = error as? JobFailure { return failure }
        if case StorageError.unavailable = error { return .unavailable("\(error)") }
        if case StorageError.corrupt = error { return .permanent("\(error)") }
        return .transient("\(error)")
    }
}

/// A job transition that changed nothing: the job is no longer `running` under this claim (its
/// lease ran out and another worker took it over, or it was erased). The caller's transaction is
/// rolled back, so a stale worker's results are never stored.
public struct JobOwnershipLost: Error, CustomStringConvertible {
    public var jobID: UUID
    public var transition: String

    public var description: String { "job \(jobID) is no longer held by this claim; its \(transition) was not applied" }
}
