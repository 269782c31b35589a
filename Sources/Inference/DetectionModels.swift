import Imaging

/// The detection models as the photo stage uses them: in this process (`InferenceService`) or in
/// inference pods behind the Open Inference Protocol (`RemoteInference`).
public protocol DetectionModels: Sendable {
    var state: InferenceService.State { get }
    /// The square input sizes of the models (empty until loaded).
    var inputSizes: [Int] { get }
    /// The models' names (as detections carry them).
    var modelNames: Set<String> { get }
    /// What the models find depends on, hashed: the key of cached detections; nil until loaded.
    var modelsDigest: String? { get }
    /// Announces a photo on its way (batching hints); nil where there is nothing to tell.
    func expectPhoto() async -> PhotoExpectation?
    /// Every model's detections on a photo, letterboxed by `letterbox(size)` for each model.
    func detect(expectation: PhotoExpectation?, _ letterbox: (Int) -> LetterboxedPhoto) async throws -> [ModelDetection]
}

extension InferenceService: DetectionModels {}
