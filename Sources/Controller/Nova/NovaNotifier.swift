import ControllerCore
import Logging
import ServiceLifecycle

/// Drains the Nova outbox: a thin shell running `NovaNotifierMachine`. It reads the outbox past the machine's
/// watermark, performs the machine's actions in order (a settlement is durable before the next send), and runs
/// timers on the injected clock. It touches only the outbox and history, never a held node, so a slow Nova cannot
/// block power actions.
public actor NovaNotifier: Service {
    private var machine: NovaNotifierMachine
    private let store: any ControllerStore
    private let client: any NovaClient
    private let time: ControllerTime
    private let logger: Logger
    private let metrics: ControllerMetrics
    private let pollInterval: Duration
    private let doorbell: OutboxDoorbell?
    private let events: AsyncStream<NovaNotifierMachine.Event>
    private let sink: AsyncStream<NovaNotifierMachine.Event>.Continuation
    /// The highest outbox id read so far: each poll reads only newer rows, so an idle poll is one indexed query.
    private var lastRead: Int64 = 0
    private var batchSizes: [NovaNotifierMachine.BatchID: Int] = [:]
    /// Why Nova refuses us, until a request succeeds again; for /health.
    public private(set) var configurationError: String?

    /// With a `doorbell` (the controller's `outboxDoorbell`) the notifier reads the outbox when it rings, and polls
    /// only as a safety net (`pollInterval`, default 5 s) for rows another process wrote or a ring it missed.
    /// Without one it polls every `pollInterval`, by default the batch window.
    public init(store: any ControllerStore, client: any NovaClient, configuration: NovaNotifierConfiguration = .init(),
                time: ControllerTime = .system, logger: Logger = Logger(label: "ferrum.nova"),
                metrics: ControllerMetrics = ControllerMetrics(), doorbell: OutboxDoorbell? = nil,
                pollInterval: Duration? = nil) {
        machine = NovaNotifierMachine(configuration: configuration)
        self.store = store
        self.client = client
        self.time = time
        self.logger = logger
        self.metrics = metrics
        self.doorbell = doorbell
        let defaultPoll = doorbell == nil ? configuration.batchWindow : Self.safetyPollInterval
        self.pollInterval = max(.milliseconds(10), pollInterval ?? defaultPoll)
        (events, sink) = AsyncStream.makeStream()
    }

    public static let safetyPollInterval: Duration = .seconds(5)

    /// Events not yet delivered or dropped that the notifier knows of.
    public var unsettledCount: Int { machine.unsettledCount }

    public func run() async throws {
        let sink = sink
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                group.addTask { await self.pollOutbox() }
                var random = SystemRandomNumberGenerator()
                for await event in events {
                    note(event)
                    await perform(machine.handle(event, using: &random), in: &group)
                    if machine.isStopped { break }
                }
                group.cancelAll()
            }
        } onGracefulShutdown: {
            sink.yield(.shutdown)
        }
    }

    /// Reads the outbox at start, on every ring of the doorbell and on every safety poll. Wake-ups that come while
    /// a read runs fold into one more read, which sees every row committed before it.
    private func pollOutbox() async {
        let (wakes, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        // Subscribed before the first read, so a commit between that read and the subscription still wakes us.
        let rings = doorbell?.rings()
        await withDiscardingTaskGroup { group in
            if let rings { group.addTask { for await _ in rings { wake.yield() } } }
            group.addTask { [time, pollInterval] in
                while (try? await time.sleep(for: pollInterval)) != nil { wake.yield() }
            }
            wake.yield()
            for await _ in wakes {
                await readOutbox()
            }
            group.cancelAll()
        }
    }

    private func readOutbox() async {
        while !Task.isCancelled {
            do {
                let rows = try await store.outbox(after: max(lastRead, machine.watermark), limit: Self.pageSize)
                if let last = rows.last {
                    lastRead = max(lastRead, last.id)
                    sink.yield(.eventsQueued(rows.map { NovaPendingEvent(id: $0.id, nodeID: $0.nodeID, update: $0.event) }))
                }
                // A full page means a backlog: read on at once.
                if rows.count < Self.pageSize { return }
            } catch {
                logger.error("cannot read the Nova outbox", metadata: ["error": "\(error)"])
                return
            }
        }
    }

    private static let pageSize = 10_000

    private func perform(_ actions: [NovaNotifierMachine.Action], in group: inout DiscardingTaskGroup) async {
        for action in actions {
            switch action {
            case .startTimer(let token, let delay):
                group.addTask { [time, sink] in
                    guard (try? await time.sleep(for: delay)) != nil else { return }
                    sink.yield(.timerFired(token))
                }
            case .send(let request):
                batchSizes[request.id] = request.events.count
                metrics.recordNovaBatch(size: request.events.count)
                group.addTask { [client, sink] in
                    let result = await client.send(body: request.body, timeout: request.timeout)
                    sink.yield(.requestCompleted(request.id, result))
                }
            case .authenticate:
                group.addTask { [client, sink] in
                    do {
                        try await client.authenticate()
                        sink.yield(.authenticated)
                    } catch {
                        sink.yield(.authenticationFailed("\(error)"))
                    }
                }
            case .settle(let settlements):
                // Cancelled before the write landed: the step's sends must not go out.
                guard await settleDurably(settlements) else { return }
            case .reportConfigurationError(let message):
                logger.error("Nova refuses the notifier; an operator must fix the configuration", metadata: ["why": "\(message)"])
                configurationError = message
                metrics.recordNovaConfigurationError(true)
            case .clearConfigurationError:
                logger.info("Nova accepts the notifier again")
                configurationError = nil
                metrics.recordNovaConfigurationError(false)
            case .stopped:
                logger.info("Nova notifier stopped", metadata: ["pending": "\(machine.unsettledCount)"])
            }
        }
    }

    /// Retries until written: sending before the settlement is durable could reorder an instance's events after a
    /// crash (docs/nova-notifier.md, "Ordering").
    private func settleDurably(_ settlements: [NovaSettlement]) async -> Bool {
        while true {
            do {
                try await store.settle(settlements, at: time.now())
                break
            } catch {
                logger.error("cannot settle Nova events; retrying", metadata: ["error": "\(error)", "events": "\(settlements.count)"])
                guard (try? await time.sleep(for: .seconds(1))) != nil else { return false }
            }
        }
        NovaNotifierMetrics.record(settlements, in: metrics)
        return true
    }

    private func note(_ event: NovaNotifierMachine.Event) {
        switch event {
        case .requestCompleted(let id, let result):
            let size = batchSizes.removeValue(forKey: id) ?? 0
            if case .failed(let failure) = result {
                logger.warning("Nova request failed", metadata: ["events": "\(size)", "failure": "\(failure)"])
                NovaNotifierMetrics.record(failure, size: size, in: metrics)
            }
        case .authenticationFailed(let why):
            logger.warning("Keystone authentication failed", metadata: ["why": "\(why)"])
        default:
            break
        }
    }
}
