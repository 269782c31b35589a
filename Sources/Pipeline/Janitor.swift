import Foundation
import Logging
import Metrics
import ServiceLifecycle
import Storage
import WalkaroundCore

/// Periodic housekeeping of the photo store and retention, run by every worker process (each
/// step is safe to run on several at once).
///
/// A sweep: collects the addresses marked for collection (erasures, failed unlinks); walks the
/// photo store for files older than the grace period that no photo references (an upload that
/// died between its file and its commit) and collects them; removes temporary files older than
/// the grace period; and erases inspections older than their station's retention period, never one
/// on hold.
///
/// Metrics: `walkaround_janitor_files_removed_total{kind}` (`marked`, `unreferenced`, `temporary`),
/// `walkaround_janitor_errors_total`, `walkaround_janitor_sweeps_total`, and the erasures'
/// `walkaround_erasures_total{reason="retention"}`.
public struct Janitor: Service {
    public struct Settings: Sendable, Equatable {
        /// Time between sweeps; nil turns the janitor off.
        public var interval: Duration?
        /// Unreferenced and temporary files younger than this are left alone (an upload may be
        /// between its file and its commit).
        public var grace: Duration
        /// Retention: inspections older than this are erased; nil keeps them. Per station, with a default.
        public var retention: Retention

        public init(interval: Duration? = .seconds(3600), grace: Duration = .seconds(3600), retention: Retention = Retention()) {
            self.interval = interval
            self.grace = grace
            self.retention = retention
        }
    }

    /// How long each station's inspections are kept.
    public struct Retention: Sendable, Equatable {
        /// For stations without their own entry; nil keeps forever (the default).
        public var defaultPeriod: Duration?
        /// Per station; a nil value keeps that station's inspections forever.
        public var stations: [String: Duration?]

        public init(defaultPeriod: Duration? = nil, stations: [String: Duration?] = [:]) {
            self.defaultPeriod = defaultPeriod
            self.stations = stations
        }

        public func period(for station: String) -> Duration? {
            if let own = stations[station] { return own }
            return defaultPeriod
        }

        public var isOff: Bool { defaultPeriod == nil && stations.values.allSatisfy { $0 == nil } }
    }

    /// What one sweep did.
    public struct Summary: Sendable, Equatable {
        public var markedRemoved = 0
        public var unreferencedRemoved = 0
        public var temporariesRemoved = 0
        public var erased: [UUID] = []
        public var errors = 0
    }

    public let database: any SQLDatabase
    public let blobs: any PhotoStore
    public let erasure: InspectionErasure
    public let settings: Settings
    private let logger: Logger
    private let metrics: any MetricsFactory
    /// Inspections erased per station and sweep, so one sweep stays short.
    static let erasuresPerStation = 200

    public init(
        database: any SQLDatabase, blobs: any PhotoStore, erasure: InspectionErasure, settings: Settings, logger: Logger,
        metrics: any MetricsFactory = MetricsSystem.factory
    ) {
        self.database = database
        self.blobs = blobs
        self.erasure = erasure
        self.settings = settings
        self.logger = logger
        self.metrics = metrics
    }

    public func run() async throws {
        guard let interval = settings.interval else { return }
        logger.info("janitor started", metadata: ["interval_s": "\(interval.seconds)", "grace_s": "\(settings.grace.seconds)"])
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            await cancelWhenGracefulShutdown { try? await Task.sleep(for: interval) }
            if Task.isShuttingDownGracefully || Task.isCancelled { break }
            // Pending migrations (the server applies them as it starts) make a sweep fail; the next one runs.
            _ = await sweep()
        }
    }

    /// One sweep at `now`.
    public func sweep(now: Date = Date()) async -> Summary {
        var summary = Summary()
        let collector = PhotoFileCollector(database: database, blobs: blobs)
        let cutoff = now.addingTimeInterval(-settings.grace.seconds)
        func failed(_ step: String, _ error: any Error, _ metadata: Logger.Metadata = [:]) {
            summary.errors += 1
            logger.warning("janitor step failed", metadata: metadata.merging(["step": "\(step)", "error": "\(error)"]) { a, _ in a })
        }

        do {
            for address in try await collector.marked(limit: 10_000) {
                do {
                    if try await collector.collect(address) == .removed { summary.markedRemoved += 1 }
                } catch { failed("marked", error, ["sha256": "\(address)"]) }
            }
        } catch { failed("marked", error) }

        do {
            for address in try await blobs.addresses(modifiedBefore: cutoff) {
                do {
                    if try await collector.isReferenced(address) { continue }
                    if try await collector.collect(address) == .removed { summary.unreferencedRemoved += 1 }
                } catch { failed("unreferenced", error, ["sha256": "\(address)"]) }
            }
        } catch { failed("unreferenced", error) }

        do {
            summary.temporariesRemoved = try await blobs.removeTemporaries(modifiedBefore: cutoff)
        } catch { failed("temporary", error) }

        do {
            // Web sessions a day past their end: nothing reads them any more.
            try await WebSessionRepository(database: database).removeExpired(before: now.addingTimeInterval(-86_400))
        } catch { failed("sessions", error) }

        if !settings.retention.isOff {
            let inspections = InspectionRepository(database: database)
            do {
                let stations = try await inspections.stations()
                let unknown = Set(settings.retention.stations.keys).subtracting(stations)
                if !unknown.isEmpty {
                    // Station ids match exactly: "muc-01" is not MUC-01. A typo would keep that station's data for ever.
                    logger.warning(
                        "retention is set for stations that have no inspections; check their spelling and case",
                        metadata: ["stations": "\(unknown.sorted().joined(separator: ","))"]
                    )
                }
                for station in stations {
                    guard let period = settings.retention.period(for: station) else { continue }
                    for id in try await inspections.expired(station: station, before: now.addingTimeInterval(-period.seconds), limit: Self.erasuresPerStation) {
                        do {
                            if try await erasure.erase(id, reason: .retention, logger: logger) != nil { summary.erased.append(id) }
                        } catch is InspectionOnHold {
                            // Held between the listing and the erasure: kept.
                        } catch { failed("retention", error, ["inspection_id": "\(id)"]) }
                    }
                }
            } catch { failed("retention", error) }
        }

        for (kind, count) in [("marked", summary.markedRemoved), ("unreferenced", summary.unreferencedRemoved), ("temporary", summary.temporariesRemoved)]
        where count > 0 {
            Counter(label: "walkaround_janitor_files_removed_total", dimensions: [("kind", kind)], factory: metrics).increment(by: count)
        }
        if summary.errors > 0 { Counter(label: "walkaround_janitor_errors_total", factory: metrics).increment(by: summary.errors) }
        Counter(label: "walkaround_janitor_sweeps_total", factory: metrics).increment()
        let level: Logger.Level = summary == Summary() ? .debug : .info
        logger.log(
            level: level, "janitor sweep",
            metadata: [
                "marked_removed": "\(summary.markedRemoved)", "unreferenced_removed": "\(summary.unreferencedRemoved)",
                "temporaries_removed": "\(summary.temporariesRemoved)", "erased": "\(summary.erased.count)", "errors": "\(summary.errors)",
            ]
        )
        return summary
    }
}
