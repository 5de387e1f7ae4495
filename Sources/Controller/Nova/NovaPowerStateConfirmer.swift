import ControllerCore
import Logging
import ServiceLifecycle

/// Releases power-state holds (docs/nova-notifier.md, "Closing the race"): every `interval` while holds exist, asks
/// Nova for each held instance (`GET /servers/{id}`) and feeds what it shows to the hold, then ends holds older than
/// `hold_maximum`. Beside the notifier, not in it: a lookup never delays a delivery.
public actor NovaPowerStateConfirmer: Service {
    private let holds: NovaPowerStateHolds
    private let client: any NovaClient
    private let time: ControllerTime
    private let interval: Duration
    private let requestTimeout: Duration
    private let logger: Logger
    /// Lookups in flight at once: a mass change can hold thousands of nodes.
    static let concurrentLookups = 8

    public init(holds: NovaPowerStateHolds, client: any NovaClient, time: ControllerTime = .system,
                interval: Duration = .seconds(1), requestTimeout: Duration = .seconds(10),
                logger: Logger = Logger(label: "ferrum.nova")) {
        self.holds = holds
        self.client = client
        self.time = time
        self.interval = interval
        self.requestTimeout = requestTimeout
        self.logger = logger
        // Nova's own reads of a held node ask Nova first, with a shorter bound: Nova waits on that answer.
        holds.attach(client: client, timeout: min(requestTimeout, .seconds(2)))
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await self.confirm()
                guard (try? await self.time.sleep(for: self.interval)) != nil else { return }
            }
        }
    }

    /// One round: look up every held instance, then expire what is left past `hold_maximum`.
    public func confirm() async {
        let held = holds.heldInstances
        if !held.isEmpty {
            await withTaskGroup(of: (String, NovaServerLookup).self) { group in
                var next = held.makeIterator()
                func lookUpNext() {
                    guard let (_, instance) = next.next() else { return }
                    group.addTask { [client, requestTimeout] in (instance, await client.server(instance, timeout: requestTimeout)) }
                }
                for _ in 0..<Self.concurrentLookups { lookUpNext() }
                for await (instance, lookup) in group {
                    holds.record(lookup, for: instance)
                    lookUpNext()
                }
            }
        }
        holds.expire()
    }
}
