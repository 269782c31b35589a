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
    /// What the confirmed new damages cost at their reviewed values, frozen when the report became final.
    public var chargeable: CostEstimate?
    public var finalizedAt: Date?

    public init(state: State = .draft, damages: [String: DamageReview] = [:], chargeable: CostEstimate? = nil, finalizedAt: Date? = nil) {
        self.state = state
        self.damages = damages
        self.chargeable = chargeable
        self.finalizedAt = finalizedAt
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
        report.damages.map { ReviewedDamage(damage: $0, review: damages[$0.id], candidate: Self.isChargeCandidate($0, in: report)) }
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
        let charged = zip(report.damages, damages(of: report)).compactMap { damage, reviewed -> Damage? in
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
        review.note = note
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
        /// The report's state changed.
        case stateChanged = "state_changed"
        /// The report was written again (its check-out erased): the review was discarded.
        case reviewDiscarded = "review_discarded"
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
