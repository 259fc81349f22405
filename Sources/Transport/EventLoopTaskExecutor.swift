// EventLoopTaskExecutor: a Swift `TaskExecutor` that runs jobs on one SwiftNIO event loop.
// RPC handler tasks prefer their connection's loop, so a cheap handler (read the request,
// answer) runs start to finish on the thread that owns the stream: no hop to the global
// concurrency pool and back, no cross-thread wake-up per call. A handler that awaits an actor
// still hops to that actor and returns here; routes whose handlers do blocking work opt out
// (`RouteOptions.runsOnEventLoop = false`) and run on the global pool as before.

import NIOCore

final class EventLoopTaskExecutor: TaskExecutor, @unchecked Sendable {
    let loop: EventLoop

    init(loop: EventLoop) { self.loop = loop }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        loop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
