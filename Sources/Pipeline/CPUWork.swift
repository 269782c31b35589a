import Foundation
import NIOPosix

/// The threads the image routes (thumbnails, annotated images, report pages) decode, resize and
/// encode on: one per core, apart from NIO's shared blocking pool (which the photo store's file
/// I/O uses), so an upload's fsync never waits behind a thumbnail's decode, and apart from the
/// cooperative pool, whose few threads run every request handler and lease heartbeat.
public enum CPUWork {
    public static let pool: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: max(2, ProcessInfo.processInfo.activeProcessorCount))
        pool.start()
        return pool
    }()
}
