import Crypto
import Foundation
import Pipeline
import Reporting
import Storage
import WalkaroundCore

/// Reports: read the report of a completed inspection and the evidence of its new damages;
/// review it (decide and correct each damage, move it to `reviewed` and `final`) with its audit trail.
public struct ReportUseCases: Sendable {
    let inspections: InspectionRepository
    let reports: ReportRepository
    let photos: PhotoRepository
    let detections: DetectionRepository
    let blobs: any PhotoStore
    let database: any SQLDatabase
    /// Prices the reviewed charges; nil: reports carry no estimates.
    let costs: CostBook?
    /// Signs final reports; nil: they are not signed (and `signedReport` says so).
    public let signingKey: ReportSigningKey?
    /// Tells subscribers about review decisions and final reports; nil sends nothing.
    let outbox: WebhookOutbox?
    /// The language of each station's reports, when a reader asks for none.
    public let languages: ReportLanguages

    public init(
        database: any SQLDatabase, blobs: any PhotoStore, costs: CostBook? = nil, signingKey: ReportSigningKey? = nil, outbox: WebhookOutbox? = nil,
        languages: ReportLanguages = ReportLanguages()
    ) {
        self.languages = languages
        self.outbox = outbox
        self.database = database
        self.costs = costs
        self.signingKey = signingKey
        inspections = InspectionRepository(database: database)
        reports = ReportRepository(database: database)
        photos = PhotoRepository(database: database)
        detections = DetectionRepository(database: database)
        self.blobs = blobs
    }

    /// The stored report (written or still pending) of an inspection the key may read reports
    /// of; `conflict` while the inspection is open.
    public func report(of inspectionID: UUID, by key: APIKey) async throws -> StoredReport {
        let inspection = try await inspections.authorized(inspectionID, for: key, .read, .report)
        guard inspection.status == .completed else {
            throw UseCaseError.conflict("inspection_open", "the report is written when the inspection is completed")
        }
        guard let stored = try await reports.get(inspection.id) else { throw UseCaseError.notFound("report") }
        return stored
    }

    /// The language a report is shown in: the one asked for, else the station's.
    public func language(of stored: StoredReport, asked: ReportLanguage?) -> ReportLanguage {
        asked ?? stored.report.map { languages.language(for: $0.inspection.station) } ?? languages.fallback
    }

    /// The prose in `language`: the stored prose when it is in that language (the LLM's, once
    /// grounded), else the template's in that language (grounded by construction).
    public func prose(of stored: StoredReport, in language: ReportLanguage) -> ReportProse? {
        guard let report = stored.report, let prose = stored.prose else { return nil }
        if (prose.language ?? .en) == language { return prose }
        return ReportTemplate(language: language).prose(for: report)
    }

    /// The report as the API serves it: the structured report, prose (in `language`; nil: as
    /// stored), review and evidence.
    public func resource(of stored: StoredReport, language: ReportLanguage? = nil) async throws -> ReportResource {
        guard let report = stored.report, let kept = stored.prose else { throw UseCaseError.conflict("report_pending", "the report is not written yet") }
        let shown = language.flatMap { self.prose(of: stored, in: $0) } ?? kept
        return ReportResource(
            report: report, prose: shown, writtenAt: stored.writtenAt, review: stored.review, version: stored.version,
            estimate: try await chargeableEstimate(of: stored)
        )
    }

    /// The signed document of a final report the key may read (as it was signed when the report
    /// became final); `conflict` before that.
    public func signedReport(of inspectionID: UUID, by key: APIKey) async throws -> Data {
        let stored = try await report(of: inspectionID, by: key)
        guard stored.review.state == .final else {
            throw UseCaseError.conflict("report_not_final", "a report is signed when it becomes final; this one is \(stored.review.state.rawValue)")
        }
        guard let signed = stored.signed else {
            throw UseCaseError.conflict("report_unsigned", "this report became final while no signing key was configured")
        }
        return signed
    }

    /// One side of a damage's evidence in a report the key may read: the crop, the photo's bytes
    /// and the detections on it. The check-out's photo is part of this report's evidence, so a key
    /// that may read the report may see that crop, whichever station the check-out was at.
    public func evidence(
        of inspectionID: UUID, damage: String, side: DamageEvidence.Side, by key: APIKey
    ) async throws -> (crop: EvidenceCrop, bytes: [UInt8], detections: [Detection]) {
        try await evidence(in: try await report(of: inspectionID, by: key), damage: damage, side: side, by: key)
    }

    /// One side of a damage's evidence in `stored`, a report already read (the page shows every
    /// damage's without reading it again); the key is checked against the report's inspection.
    public func evidence(
        in stored: StoredReport, damage: String, side: DamageEvidence.Side, by key: APIKey
    ) async throws -> (crop: EvidenceCrop, bytes: [UInt8], detections: [Detection]) {
        guard let report = stored.report else { throw UseCaseError.conflict("report_pending", "the report is not written yet") }
        try Access.require(key, .read, .report, station: report.inspection.station)
        return try await evidence(unchecked: stored, damage: damage, side: side)
    }

    /// One side of a damage's evidence in `stored`, for a caller that has checked access its own way
    /// (a key above; a renter's link).
    func evidence(unchecked stored: StoredReport, damage: String, side: DamageEvidence.Side) async throws -> (crop: EvidenceCrop, bytes: [UInt8], detections: [Detection]) {
        guard let report = stored.report else { throw UseCaseError.conflict("report_pending", "the report is not written yet") }
        guard let evidence = report.evidence(review: stored.review).first(where: { $0.damage == damage }) else {
            throw UseCaseError.notFound("evidence of damage \(damage)")
        }
        guard let crop = evidence.crop(side) else {
            throw UseCaseError.notFound("check-out evidence of damage \(damage) (\(evidence.checkoutMissing ?? "none"))")
        }
        guard let photo = try await photos.get(crop.photoID), photo.inspectionID == crop.inspectionID,
            [report.inspection.id, report.comparedWith?.id].contains(photo.inspectionID),
            let bytes = try await blobs.read(sha256: photo.sha256)
        else { throw UseCaseError.notFound("photo") }
        return (crop, bytes, try await detections.detections(of: photo.id).filter { $0.role != .part })
    }

    /// What the review's confirmed charges cost: frozen once the report is final, else at the
    /// current review (nil without a cost matrix, or before the report is written).
    public func chargeableEstimate(of stored: StoredReport) async throws -> CostEstimate? {
        if stored.review.state == .final { return stored.review.chargeable }
        guard let report = stored.report, let costs = try await costs?.matrix() else { return nil }
        return stored.review.estimate(of: report, costs: costs)
    }

    /// Applies a reviewer's decision or corrections to one damage of a `draft` report that is
    /// still at `version`; returns the report as stored after it.
    public func reviewDamage(_ inspectionID: UUID, damage id: String, change: DamageReviewChange, ifVersion version: Int, by key: APIKey) async throws -> StoredReport {
        try await changeReview(inspectionID, ifVersion: version, by: key) { stored, report, now in
            guard let damage = stored.review.reviewable(in: report).first(where: { $0.id == id }) else { throw UseCaseError.notFound("damage \(id)") }
            guard stored.review.state == .draft else {
                throw UseCaseError.conflict("report_reviewed", "the report is reviewed: move it back to draft to change a damage")
            }
            let current = stored.review.damages[id]
            let problems = change.problems(current: current)
            guard problems.isEmpty else { throw UseCaseError.invalid("invalid_review", problems.joined(separator: "; ")) }
            let candidate = ReportReview.isChargeCandidate(damage, in: report)
            let reviewed = change.applied(to: current, by: key.id, at: now)
            var review = stored.review
            review.damages[id] = reviewed
            let record = ReviewAuditRecord(
                inspectionID: inspectionID, at: now, action: .damageReviewed, keyID: key.id, keyName: key.name, role: key.role.rawValue, damage: id,
                before: ReviewedDamage(damage: damage, review: current, candidate: candidate).auditValues,
                after: ReviewedDamage(damage: damage, review: reviewed, candidate: candidate).auditValues, note: change.note
            )
            return (review, [record])
        }
    }

    /// Adds a damage the model missed, drawn by a reviewer on one of the inspection's photos, to a
    /// `draft` report still at `version`; it is confirmed by being drawn (another reviewer may
    /// reject it). Returns the report and the new damage's id.
    public func addDamage(_ inspectionID: UUID, _ draft: AddedDamageDraft, ifVersion version: Int, by key: APIKey) async throws -> (StoredReport, String) {
        let inspection = try await inspections.authorized(inspectionID, for: key, .change, .report)
        if let note = draft.note, let problem = DamageReviewChange(note: note).problems(current: nil).first(where: { $0.hasPrefix("note") }) {
            throw UseCaseError.invalid("invalid_review", problem)
        }
        // A photo keeps its inspection and size for life; erased with its inspection, the change
        // below then finds no inspection.
        guard let photo = try await photos.get(draft.photoID), photo.inspectionID == inspectionID else {
            throw UseCaseError.invalid("invalid_photo", "photo \(draft.photoID.uuidString.lowercased()) is not a photo of this inspection")
        }
        let parts = InspectionFindings(inspection: inspection, photos: [photo], detections: try await DetectionRepository(database: database).detections(of: photo.id)).parts[photo.id] ?? []
        let stored = try await changeReview(inspectionID, ifVersion: version, by: key) { stored, report, now in
            guard stored.review.state == .draft else {
                throw UseCaseError.conflict("report_reviewed", "the report is reviewed: move it back to draft to add a damage")
            }
            var review = stored.review
            guard review.added.count < ReportReview.maxAdded else {
                throw UseCaseError.invalid("too_many_damages", "at most \(ReportReview.maxAdded) damages may be added to one report")
            }
            let damage: AddedDamage
            switch AddedDamage.make(id: "R\(review.added.count + 1)", draft: draft, on: photo, parts: parts) {
            case .success(let made): damage = made
            case .failure(let problem): throw UseCaseError.invalid(problem.code, problem.message)
            }
            var decided = DamageReview()
            decided.decision = .confirmed
            decided.note = draft.note
            decided.reviewedBy = key.id
            decided.reviewedAt = now
            review.added.append(damage)
            review.damages[damage.id] = decided
            let asDamage = damage.damage(in: report)
            var after = ReviewedDamage(damage: asDamage, review: decided, candidate: ReportReview.isChargeCandidate(asDamage, in: report)).auditValues
            after["photo"] = photo.id.uuidString.lowercased()
            after["box"] = "\(damage.box.x1),\(damage.box.y1),\(damage.box.x2),\(damage.box.y2)"
            let record = ReviewAuditRecord(
                inspectionID: inspectionID, at: now, action: .damageAdded, keyID: key.id, keyName: key.name, role: key.role.rawValue,
                damage: damage.id, before: [:], after: after, note: draft.note
            )
            return (review, [record])
        }
        return (stored, "R\(stored.review.added.count)")
    }

    /// Moves a report still at `version` to `state`: `reviewed` once every charge candidate is
    /// decided, `final` from `reviewed` (freezing the chargeable total), or back to `draft` from `reviewed`.
    public func changeState(_ inspectionID: UUID, to state: ReportReview.State, note: String?, ifVersion version: Int, by key: APIKey) async throws -> StoredReport {
        if let note, let problem = DamageReviewChange(note: note).problems(current: nil).first(where: { $0.hasPrefix("note") }) {
            throw UseCaseError.invalid("invalid_review", problem)
        }
        // The prices in force when the report becomes final are frozen into it.
        let costs = state == .final ? try await self.costs?.matrix() : nil
        let signer = state == .final ? signingKey.map { key in { @Sendable (stored: StoredReport, db: any SQLExecutor) in try await self.signedDocument(of: stored, with: key, in: db) } } : nil
        return try await changeReview(inspectionID, ifVersion: version, by: key, sign: signer) { stored, report, now in
            var review = stored.review
            guard ReportReview.allows(review.state, to: state) else {
                throw UseCaseError.conflict("invalid_transition", "a \(review.state.rawValue) report cannot become \(state.rawValue)")
            }
            if state == .reviewed {
                let undecided = review.undecided(in: report)
                guard undecided.isEmpty else {
                    throw UseCaseError.conflict("review_incomplete", "confirm or reject every damage that could be charged first: \(undecided.joined(separator: ", "))")
                }
            }
            if state == .final {
                review.chargeable = costs.map { review.estimate(of: report, costs: $0) }
                review.finalizedAt = now
            }
            var after = ["state": state.rawValue]
            if state == .final {
                after["chargeable"] = review.damages(of: report).filter(\.chargeable).map(\.id).joined(separator: ",")
                if let charged = review.chargeable {
                    after["chargeable_total_minor"] = String(charged.totalMinor)
                    after["currency"] = charged.currency
                }
            }
            let record = ReviewAuditRecord(
                inspectionID: inspectionID, at: now, action: .stateChanged, keyID: key.id, keyName: key.name, role: key.role.rawValue, damage: nil,
                before: ["state": review.state.rawValue], after: after, note: note
            )
            review.state = state
            return (review, [record])
        }
    }

    /// A renter contested `damage` of the final report: back to draft, the damage's decision
    /// cleared (its corrections kept), the frozen total and signature dropped, one audit record
    /// (role `renter`) keeping what was charged and the signed document's SHA-256; `also` runs in
    /// the same transaction (the dispute's row). Only a charged damage of a final report.
    func reopen(_ inspectionID: UUID, damage: String, note: String, also: @escaping @Sendable (any SQLExecutor) async throws -> Void) async throws {
        let (inspections, reports) = (self.inspections, self.reports)
        let now = Date().truncatedToMicroseconds
        try await database.transaction { db in
            guard let held = try await inspections.getForUpdate(inspectionID, in: db) else { throw UseCaseError.notFound("inspection") }
            guard let stored = try await reports.get(inspectionID, in: db), let report = stored.report else { throw UseCaseError.notFound("report") }
            guard stored.review.state == .final else {
                throw UseCaseError.conflict("report_in_review", "this report is being reviewed again; the damage can be contested once it is final")
            }
            guard let charged = stored.review.damages(of: report).first(where: { $0.id == damage && $0.chargeable }) else {
                throw UseCaseError.notFound("charged damage \(damage)")
            }
            var review = stored.review
            var before = charged.auditValues
            before["state"] = ReportReview.State.final.rawValue
            if let total = review.chargeable { before["chargeable_total_minor"] = String(total.totalMinor) }
            if let signed = stored.signed { before["signed_sha256"] = SHA256.hash(data: signed).map { String(format: "%02x", $0) }.joined() }
            var entry = review.damages[damage] ?? DamageReview()
            entry.decision = nil
            entry.rejectionReason = nil
            entry.reviewedAt = now
            review.damages[damage] = entry
            review.state = .draft
            review.chargeable = nil
            review.finalizedAt = nil
            let record = ReviewAuditRecord(
                inspectionID: inspectionID, at: now, action: .damageDisputed, keyID: nil, keyName: nil, role: "renter", damage: damage,
                before: before, after: ["state": ReportReview.State.draft.rawValue, "decision": "none"], note: note
            )
            guard try await reports.saveReview(review, of: inspectionID, ifVersion: stored.version, audit: [record], signed: nil, in: db) != nil else {
                throw UseCaseError.changedMeanwhile(nil)
            }
            // The evidence must outlive retention while the charge is contested: held as a reviewer would.
            if held.hold == nil {
                _ = try await inspections.setHold(inspectionID, reason: "renter disputes damage \(damage)", by: .reviewer, at: now, in: db)
            }
            try await also(db)
        }
    }

    /// The review's audit trail of an inspection whose report the key may read, oldest first.
    public func audit(of inspectionID: UUID, by key: APIKey) async throws -> [ReviewAuditRecord] {
        let inspection = try await inspections.authorized(inspectionID, for: key, .read, .report)
        return try await reports.audit(of: inspection.id)
    }

    /// The signed document of `stored` (a report becoming final, at its new version): the report
    /// as the API serves it, and every photo of the inspection and of the check-out it was
    /// compared with, each with its SHA-256, station and times.
    func signedDocument(of stored: StoredReport, with key: ReportSigningKey, in db: any SQLExecutor) async throws -> Data {
        guard let report = stored.report else { throw UseCaseError.conflict("report_pending", "the report is not written yet") }
        var rested: [SignedPhoto] = []
        for (inspection, role) in [(report.inspection, "return"), report.comparedWith.map { ($0, "checkout") }].compactMap({ $0 }) {
            rested += try await photos.photos(of: inspection.id, in: db).map { SignedPhoto($0, inspection: inspection, role: role) }
        }
        let payload = SignedPayload(
            inspectionId: stored.inspectionID, finalizedAt: stored.review.finalizedAt, signedWith: key.id, report: try await resource(of: stored), photos: rested
        )
        return try SignedReport.sign(payload: try APIJSON.lowercasingIDs(APIJSON.encoder.encode(payload)), with: key)
    }

    /// The one path of every review change: access (`change report`), a written report not yet
    /// final and still at `version`, then `body`'s new review and its audit records stored
    /// together, under the inspection's lock (taken first, as everywhere).
    private func changeReview(
        _ inspectionID: UUID, ifVersion version: Int, by key: APIKey, sign: (@Sendable (StoredReport, any SQLExecutor) async throws -> Data)? = nil,
        _ body: @escaping @Sendable (StoredReport, InspectionReport, Date) throws -> (ReportReview, [ReviewAuditRecord])
    ) async throws -> StoredReport {
        let inspection = try await inspections.authorized(inspectionID, for: key, .change, .report)
        guard inspection.status == .completed else {
            throw UseCaseError.conflict("inspection_open", "the report is written when the inspection is completed")
        }
        let (inspections, reports, outbox) = (self.inspections, self.reports, self.outbox)
        let now = Date().truncatedToMicroseconds
        return try await database.transaction { db in
            guard try await inspections.getForUpdate(inspectionID, in: db) != nil else { throw UseCaseError.notFound("inspection") }
            guard let stored = try await reports.get(inspectionID, in: db) else { throw UseCaseError.notFound("report") }
            guard stored.status == .written, let report = stored.report else {
                throw UseCaseError.conflict("report_pending", "the report is not written yet")
            }
            guard stored.version == version else { throw UseCaseError.changedMeanwhile(stored.version) }
            guard stored.review.state != .final else { throw UseCaseError.conflict("report_final", "a final report cannot be changed") }
            let (review, audit) = try body(stored, report, now)
            var changed = stored
            changed.review = review
            changed.version = version + 1
            changed.signed = try await sign?(changed, db)
            guard let next = try await reports.saveReview(review, of: inspectionID, ifVersion: version, audit: audit, signed: changed.signed, in: db),
                next == changed.version
            else {
                throw UseCaseError.changedMeanwhile(nil)
            }
            if let outbox {
                for (event, data) in ReviewEvent.events(of: audit, report: report, review: review, station: inspection.station) {
                    try await outbox.emit(event, inspection: inspectionID, station: inspection.station, data: data, at: now, in: db)
                }
            }
            return changed
        }
    }
}

/// What a final report's signature covers.
struct SignedPayload: Encodable {
    var inspectionId: UUID
    var finalizedAt: Date?
    var signedWith: String
    var report: ReportResource
    var photos: [SignedPhoto]
}

/// A photo a signed report rests on.
struct SignedPhoto: Encodable {
    var id: UUID
    var inspectionId: UUID
    /// `return` (the inspection reported) or `checkout` (the one it was compared with).
    var role: String
    var station: String
    var view: Photo.View
    var status: Photo.Status
    var sha256: String
    var byteCount: Int
    var capturedAt: String?
    var uploadedAt: Date

    init(_ photo: Photo, inspection: InspectionSummary, role: String) {
        id = photo.id
        inspectionId = photo.inspectionID
        self.role = role
        station = inspection.station
        view = photo.view
        status = photo.status
        sha256 = photo.sha256
        byteCount = photo.byteCount
        capturedAt = photo.capturedAt
        uploadedAt = photo.createdAt
    }
}

/// `damage.reviewed` and `report.final`: what a review change did, from its audit records.
struct ReviewEvent: Encodable {
    var inspectionId: UUID
    var station: String
    var damage: String?
    var action: String
    var before: [String: String]?
    var after: [String: String]
    var note: String?
    var reviewedBy: String?
    /// `report.final`: the charged damages and total (when a cost matrix priced them).
    var chargeable: [String]?
    var chargeableTotalMinor: Int?
    var currency: String?
    var signed: String?

    static func events(of audit: [ReviewAuditRecord], report: InspectionReport, review: ReportReview, station: String) -> [(WebhookEvent, ReviewEvent)] {
        audit.compactMap { record in
            var event = ReviewEvent(
                inspectionId: record.inspectionID, station: station, damage: record.damage, action: record.action.rawValue, before: record.before,
                after: record.after, note: record.note, reviewedBy: record.keyName
            )
            switch record.action {
            case .damageReviewed, .damageAdded:
                return (.damageReviewed, event)
            case .stateChanged where record.after["state"] == ReportReview.State.final.rawValue:
                event.before = nil
                event.chargeable = review.damages(of: report).filter(\.chargeable).map(\.id)
                event.chargeableTotalMinor = review.chargeable?.totalMinor
                event.currency = review.chargeable?.currency
                event.signed = "/v1/inspections/\(record.inspectionID.uuidString.lowercased())/report/signed"
                return (.reportFinal, event)
            default:
                return nil
            }
        }
    }
}
