import Foundation

/// A person's review of a machine-written report: per damage a decision (confirm or reject) and
/// corrections of class, part and severity, and the report's state. Only a `final` report's
/// confirmed charge candidates are chargeable, at their reviewed values.
///
/// The machine's report is never edited: the review is kept beside it, and what a reader sees is
/// the machine's damage with the review laid over it (`ReviewedDamage`).
public struct ReportReview: Sendable, Equatable, Codable {
    /// `draft` (as the machine wrote it, being reviewed) → `reviewed` (every charge candidate
    /// decided) → `final` (frozen; chargeable). A reviewed report can go back to `draft`.
    public enum State: String, Sendable, Codable, CaseIterable {
        case draft
        case reviewed
        case final
    }

    public var state: State
    /// The review of each damage a reviewer touched, by damage id.
    public var damages: [String: DamageReview]
    /// Damages the model missed, drawn by reviewers (`R1`, `R2`, …).
    public var added: [AddedDamage] = []
    /// What the confirmed new damages cost at their reviewed values, frozen when the report became final.
    public var chargeable: CostEstimate?
    public var finalizedAt: Date?

    public init(state: State = .draft, damages: [String: DamageReview] = [:], chargeable: CostEstimate? = nil, finalizedAt: Date? = nil) {
        self.state = state
        self.damages = damages
        self.chargeable = chargeable
        self.finalizedAt = finalizedAt
    }

    enum CodingKeys: String, CodingKey {
        case state, damages, added, chargeable, finalizedAt
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        state = try container.decode(State.self, forKey: .state)
        damages = try container.decode([String: DamageReview].self, forKey: .damages)
        added = try container.decodeIfPresent([AddedDamage].self, forKey: .added) ?? []
        chargeable = try container.decodeIfPresent(CostEstimate.self, forKey: .chargeable)
        finalizedAt = try container.decodeIfPresent(Date.self, forKey: .finalizedAt)
    }

    /// The most damages reviewers may add to one report.
    public static let maxAdded = 100

    /// The damages a review covers: the report's own, then those reviewers added.
    public func reviewable(in report: InspectionReport) -> [Damage] {
        report.damages + added.map { $0.damage(in: report) }
    }

    /// Whether the transition from `state` to `next` is allowed.
    public static func allows(_ state: State, to next: State) -> Bool {
        switch (state, next) {
        case (.draft, .reviewed), (.reviewed, .final), (.reviewed, .draft): true
        default: false
        }
    }

    /// The report's own damages with this review laid over them, in the report's order.
    public func damages(of report: InspectionReport) -> [ReviewedDamage] {
        let addedIDs = Set(added.map(\.id))
        return reviewable(in: report).map {
            var reviewed = ReviewedDamage(damage: $0, review: damages[$0.id], candidate: Self.isChargeCandidate($0, in: report))
            reviewed.addedByReviewer = addedIDs.contains($0.id)
            return reviewed
        }
    }

    /// A damage a customer could be charged for once confirmed: on a return compared with a
    /// check-out, found `new` or `needs_review`. Pre-existing, unverified (no check-out) and
    /// check-out damages are never charged.
    public static func isChargeCandidate(_ damage: Damage, in report: InspectionReport) -> Bool {
        report.inspection.kind == .return && report.comparedWith != nil && (damage.status == .new || damage.status == .needsReview)
    }

    /// The charge candidates without a decision yet; a report with any cannot be `reviewed`.
    public func undecided(in report: InspectionReport) -> [String] {
        damages(of: report).filter { $0.chargeCandidate && $0.decision == nil }.map(\.id)
    }

    /// The estimate of the confirmed charge candidates at their reviewed class, part and severity.
    public func estimate(of report: InspectionReport, costs: CostMatrix) -> CostEstimate {
        let charged = zip(reviewable(in: report), damages(of: report)).compactMap { damage, reviewed -> Damage? in
            guard reviewed.chargeable else { return nil }
            var priced = damage
            priced.className = reviewed.className
            priced.part = reviewed.part
            priced.severity = reviewed.severity
            priced.status = .new
            return priced
        }
        return costs.estimate(charged)
    }
}

/// A damage the model missed, drawn by a reviewer as a box on one of the inspection's photos.
public struct AddedDamage: Sendable, Equatable, Codable {
    public var id: String
    public var photoID: UUID
    public var view: Photo.View
    /// In pixels of the upright photo.
    public var box: Box
    /// The box in 0–1 coordinates of the upright photo.
    public var region: Box
    public var className: String
    public var part: CarPart
    public var severity: Severity

    /// The damage of `draft` on `photo` (nil with the reason when the box or values do not fit).
    /// Unless the reviewer names the part, a part model's box on the photo (`parts`) names it
    /// where one covers the drawn box, else the position rule does, as for the model's damages.
    public static func make(id: String, draft: AddedDamageDraft, on photo: Photo, parts: [PartSighting] = []) -> Result<AddedDamage, AddedDamageDraft.Problem> {
        guard let width = photo.width, let height = photo.height, width > 0, height > 0 else {
            return .failure(.init(code: "invalid_photo", message: "the photo has not been processed (its size is unknown)"))
        }
        let box = draft.box, w = Double(width), h = Double(height)
        guard box.isFinite, box.x1 >= 0, box.y1 >= 0, box.x2 <= w, box.y2 <= h, box.x2 - box.x1 >= 2, box.y2 - box.y1 >= 2 else {
            return .failure(.init(code: "invalid_box", message: "box must lie inside the upright photo (\(width) × \(height) px), x1 < x2 and y1 < y2, at least 2 px each way"))
        }
        guard CostMatrix.classes.contains(draft.className) else {
            return .failure(.init(code: "invalid_review", message: "class_name must be one of \(CostMatrix.classes.sorted().joined(separator: ", "))"))
        }
        if draft.part == .unknown { return .failure(.init(code: "invalid_review", message: "part must name a part of the car")) }
        let region = Box(x1: box.x1 / w, y1: box.y1 / h, x2: box.x2 / w, y2: box.y2 / h)
        let part = draft.part ?? CarPart.covering(region, in: parts) ?? CarPart.locate(view: photo.view, x: (region.x1 + region.x2) / 2, y: (region.y1 + region.y2) / 2, className: draft.className)
        let severity = draft.severity ?? Severity.grade(className: draft.className, areaShare: region.area, confidence: 1)
        return .success(AddedDamage(id: id, photoID: photo.id, view: photo.view, box: box, region: region, className: draft.className, part: part, severity: severity))
    }

    /// As a damage of `report`: `new` on a return compared with a check-out (a reviewer saw it
    /// there), else as the report's own damages would be.
    public func damage(in report: InspectionReport) -> Damage {
        let status: DamageStatus? = report.comparedWith != nil ? .new : (report.inspection.kind == .return ? .unverified : nil)
        var damage = Damage(id: id, className: className, view: view, severity: severity, confidence: 1, status: status, sightings: [])
        damage.part = part
        return damage
    }
}

/// What a reviewer draws: a box on a photo, its class, and optionally part and severity (else
/// found by the same rules as the model's damages).
public struct AddedDamageDraft: Sendable, Equatable {
    public var photoID: UUID
    public var box: Box
    public var className: String
    public var part: CarPart?
    public var severity: Severity?
    public var note: String?

    public init(photoID: UUID, box: Box, className: String, part: CarPart? = nil, severity: Severity? = nil, note: String? = nil) {
        self.photoID = photoID
        self.box = box
        self.className = className
        self.part = part
        self.severity = severity
        self.note = note
    }

    public struct Problem: Error, Equatable {
        public var code: String
        public var message: String
    }
}

/// A reviewer's decision and corrections for one damage.
public struct DamageReview: Sendable, Equatable, Codable {
    public enum Decision: String, Sendable, Codable, CaseIterable {
        case confirmed
        case rejected
    }

    /// Why a damage was rejected.
    public enum RejectionReason: String, Sendable, Codable, CaseIterable {
        /// Not a damage at all (a reflection, dirt, a sticker).
        case notDamage = "not_damage"
        /// Already there at check-out, which the comparison missed.
        case preExisting = "pre_existing"
        /// The same damage as another finding.
        case duplicate
        /// Normal wear the rental terms do not charge.
        case wearAndTear = "wear_and_tear"
        /// The photos do not show it clearly enough to charge.
        case insufficientEvidence = "insufficient_evidence"
        /// Anything else; the reason text says what.
        case other
    }

    public var decision: Decision?
    public var className: String?
    public var part: CarPart?
    public var severity: Severity?
    public var rejectionReason: RejectionReason?
    /// The reviewer's words on the last change.
    public var note: String?
    /// The key that made the last change, and when.
    public var reviewedBy: UUID?
    public var reviewedAt: Date?

    public init() {}
}

/// A change a reviewer asks for on one damage; nil fields stay as they are.
public struct DamageReviewChange: Sendable, Equatable {
    public var decision: DamageReview.Decision?
    public var className: String?
    public var part: CarPart?
    public var severity: Severity?
    public var rejectionReason: DamageReview.RejectionReason?
    public var note: String?

    public init(
        decision: DamageReview.Decision? = nil, className: String? = nil, part: CarPart? = nil, severity: Severity? = nil,
        rejectionReason: DamageReview.RejectionReason? = nil, note: String? = nil
    ) {
        self.decision = decision
        self.className = className
        self.part = part
        self.severity = severity
        self.rejectionReason = rejectionReason
        self.note = note
    }

    /// The longest note kept.
    public static let maxNote = 1000

    /// What is wrong with this change for `current` (the damage's review so far); empty when it can be applied.
    public func problems(current: DamageReview?) -> [String] {
        var problems: [String] = []
        if decision == nil, className == nil, part == nil, severity == nil, rejectionReason == nil, note == nil {
            problems.append("the change changes nothing: give a decision, class_name, part, severity or a note")
        }
        if let className, !CostMatrix.classes.contains(className) {
            problems.append("class_name must be one of \(CostMatrix.classes.sorted().joined(separator: ", "))")
        }
        if part == .unknown { problems.append("part must name a part of the car") }
        let rejecting = (decision ?? current?.decision) == .rejected
        if rejecting, (rejectionReason ?? current?.rejectionReason) == nil {
            problems.append("a rejection needs a rejection_reason (\(DamageReview.RejectionReason.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        if !rejecting, rejectionReason != nil { problems.append("rejection_reason is only for a rejection") }
        if rejecting, decision == .rejected || rejectionReason != nil, (rejectionReason ?? current?.rejectionReason) == .other, (note ?? "").trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            problems.append("a rejection for `other` reasons needs a note saying what")
        }
        if let note {
            if note.count > Self.maxNote { problems.append("note is longer than \(Self.maxNote) characters") }
            if note.unicodeScalars.contains(where: { $0.properties.generalCategory == .control && $0 != "\n" }) {
                problems.append("note contains control characters")
            }
        }
        return problems
    }

    /// `current` with this change applied by `key` at `date`. Call after `problems` is empty.
    public func applied(to current: DamageReview?, by key: UUID, at date: Date) -> DamageReview {
        var review = current ?? DamageReview()
        if let decision { review.decision = decision }
        if let className { review.className = className }
        if let part { review.part = part }
        if let severity { review.severity = severity }
        if review.decision == .rejected {
            if let rejectionReason { review.rejectionReason = rejectionReason }
        } else {
            review.rejectionReason = nil
        }
        // A change without a note keeps the last one (a rejection for `other` keeps its explanation).
        if let note { review.note = note }
        review.reviewedBy = key
        review.reviewedAt = date
        return review
    }
}

/// A damage as a reader of a reviewed report sees it: the reviewed values where a reviewer
/// changed them, the machine's otherwise.
public struct ReviewedDamage: Sendable, Equatable, Codable {
    public var id: String
    /// The comparison's status (the machine's).
    public var status: DamageStatus?
    public var className: String
    public var part: CarPart?
    public var severity: Severity
    public var decision: DamageReview.Decision?
    public var rejectionReason: DamageReview.RejectionReason?
    public var note: String?
    public var reviewedBy: UUID?
    public var reviewedAt: Date?
    /// Drawn by a reviewer, not found by the model.
    public var addedByReviewer = false
    /// Whether a confirmation would make it chargeable (`ReportReview.isChargeCandidate`).
    public var chargeCandidate: Bool
    /// A confirmed charge candidate: charged once the report is final.
    public var chargeable: Bool

    public init(damage: Damage, review: DamageReview?, candidate: Bool) {
        id = damage.id
        status = damage.status
        className = review?.className ?? damage.className
        part = review?.part ?? damage.part
        severity = review?.severity ?? damage.severity
        decision = review?.decision
        rejectionReason = review?.rejectionReason
        note = review?.note
        reviewedBy = review?.reviewedBy
        reviewedAt = review?.reviewedAt
        chargeCandidate = candidate
        chargeable = candidate && review?.decision == .confirmed
    }

    /// The values an audit record keeps before and after a change (keys as the API writes them).
    public var auditValues: [String: String] {
        var values = ["class_name": className, "severity": severity.rawValue, "decision": decision?.rawValue ?? "none"]
        if let part { values["part"] = part.rawValue }
        if let rejectionReason { values["rejection_reason"] = rejectionReason.rawValue }
        return values
    }
}

/// One change to a report's review: who, when, what before and after, and why.
public struct ReviewAuditRecord: Sendable, Equatable, Codable {
    public enum Action: String, Sendable, Codable {
        /// A damage's decision or values changed.
        case damageReviewed = "damage_reviewed"
        /// A reviewer drew a damage the model missed.
        case damageAdded = "damage_added"
        /// The report's state changed.
        case stateChanged = "state_changed"
        /// The report was written again (its check-out erased): the review was discarded.
        case reviewDiscarded = "review_discarded"
        /// The renter contested a charged damage through their link: the final report went back to
        /// draft and the damage needs a decision again.
        case damageDisputed = "damage_disputed"
    }

    public var id: UUID
    public var inspectionID: UUID
    public var at: Date
    public var action: Action
    /// The key that made the change (nil for the system) and its name and role then.
    public var keyID: UUID?
    public var keyName: String?
    public var role: String
    public var damage: String?
    public var before: [String: String]
    public var after: [String: String]
    public var note: String?

    public init(
        id: UUID = UUID(), inspectionID: UUID, at: Date, action: Action, keyID: UUID?, keyName: String?, role: String, damage: String?,
        before: [String: String], after: [String: String], note: String?
    ) {
        self.id = id
        self.inspectionID = inspectionID
        self.at = at
        self.action = action
        self.keyID = keyID
        self.keyName = keyName
        self.role = role
        self.damage = damage
        self.before = before
        self.after = after
        self.note = note
    }
}
