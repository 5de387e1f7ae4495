import IPMI
import NIOCore
import NIOPosix

/// The console side for a whole fleet: one UDP socket, one persistent RMCP+ session per BMC.
///
/// Inbound datagrams are demultiplexed by source address to per-BMC `ConsoleStateMachine`s. A session is opened
/// by the first request to a BMC, kept (the machine sends keep-alives) and opened again after it fails or times out;
/// with `persistentSessions` off it is closed after every request instead.
/// `BMCSchedulingPolicy` decides when each request may start. All timers (retransmissions, keep-alives, pacing)
/// run on one shared coarse tick with a timer wheel, never a task per timer.
///
/// An actor rather than a class behind a mutex: every event (send, datagram, tick) mutates the same tables and may
/// resume callers, and the actor serialises that without a lock held across continuation resumption.
public actor BMCClient {
    public let configuration: BMCClientConfiguration

    private struct Pending {
        let id: UInt64
        let key: SocketAddress
        let endpoint: BMCEndpoint
        let request: IPMIRequest
        let credentials: BMCCredentials
        let continuation: CheckedContinuation<IPMIResponse, any Error>
        var staleRetries: Int
        /// When it was admitted, for the latency metric (a stale-session retry keeps the first start).
        var startedAt: Duration?
    }

    private struct Peer {
        var machine: ConsoleStateMachine
        let credentials: BMCCredentials
        let generation: UInt64
        var established = false
        var current: (token: RequestToken, pending: Pending, sessionWasUp: Bool)?
        var armed: TimerToken?
        /// Fresh sessions: the outcome of the request just answered, recorded in the policy only once Close Session
        /// is over, so the BMC's slot covers the close and the next session never overlaps this one.
        var releaseAfterClose: BMCSchedulingPolicy<SocketAddress>.Outcome?
        var closing = false
    }

    private enum State { case idle, running, stopping, stopped }

    private var state = State.idle
    private var channel: (any Channel)?
    private var receiveTask: Task<Void, Never>?
    private var tickerTask: Task<Void, Never>?
    private var policy: BMCSchedulingPolicy<SocketAddress>
    private var peers: [SocketAddress: Peer] = [:]
    /// Requests not yet admitted, oldest first. A ring buffer: taking the head is O(1), so a full client that
    /// frees one slot starts one request without moving the others.
    private var waiting = CircularBuffer<Pending>()
    private var resolved: [BMCEndpoint: SocketAddress] = [:]
    private var wheel: [UInt64: [(key: SocketAddress, generation: UInt64, token: TimerToken)]] = [:]
    private var elapsedTicks: UInt64 = 0
    private var nextGeneration: UInt64 = 0
    private var nextRequestID: UInt64 = 0
    private var dispatching = false
    private var dispatchAgain = false
    private var closeWaiter: CheckedContinuation<Void, Never>?
    private let clock = ContinuousClock()
    private let origin: ContinuousClock.Instant
    private var entropy = SystemRandomNumberGenerator()
    private let metrics: ControllerMetrics

    public init(configuration: BMCClientConfiguration = BMCClientConfiguration(), metrics: ControllerMetrics = ControllerMetrics()) {
        self.configuration = configuration
        self.metrics = metrics
        self.policy = BMCSchedulingPolicy(configuration: configuration.scheduling)
        self.origin = clock.now
    }

    /// Binds the socket on an ephemeral port and starts the tick. A second call is a no-op.
    public func start(group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) async throws {
        guard state == .idle else { return }
        let (stream, continuation) = AsyncStream.makeStream(of: (SocketAddress, [UInt8]).self, bufferingPolicy: .bufferingNewest(16384))
        let channel = try await DatagramBootstrap(group: group)
            // One socket takes the replies of every BMC: a deep kernel buffer and many reads per wake-up keep bursts
            // of hundreds of replies from being dropped.
            .channelOption(.socketOption(.so_rcvbuf), value: 4 << 20)
            .channelOption(.socketOption(.so_sndbuf), value: 4 << 20)
            .channelOption(.maxMessagesPerRead, value: 64)
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 2048))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(BMCClientDatagramHandler(continuation: continuation))
                }
            }
            .bind(host: "0.0.0.0", port: 0).get()
        channel.closeFuture.whenComplete { _ in continuation.finish() }
        self.channel = channel
        state = .running
        metrics.addCollector { [weak self, metrics] in
            guard let self else { return }
            metrics.recordSessionsOpen(await self.sessionCount)
        }
        receiveTask = Task { [weak self] in
            for await (source, datagram) in stream {
                await self?.receive(datagram, from: source)
            }
        }
        let tick = configuration.tick
        tickerTask = Task { [weak self] in
            let clock = ContinuousClock()
            while true {
                do { try await clock.sleep(for: tick) } catch { return }
                guard let self else { return }
                await self.onTick()
            }
        }
    }

    /// The local port of the client's socket.
    public var localPort: Int? { channel?.localAddress?.port }

    /// Sends one request to a BMC and waits for its response, whatever its completion code.
    ///
    /// Throws `ConsoleError` for protocol failures (credentials, timeouts) and `BMCClientError` when the request was
    /// never sent (backing off, not started, shut down). Cancelling the calling task withdraws a request that is
    /// still waiting for its turn (`CancellationError`); one already on the wire runs to its end.
    public func send(_ request: IPMIRequest, to endpoint: BMCEndpoint, credentials: BMCCredentials) async throws -> IPMIResponse {
        switch state {
        case .idle: throw BMCClientError.notStarted
        case .stopping, .stopped: throw BMCClientError.shutDown
        case .running: break
        }
        let key = try resolve(endpoint)
        if let peer = peers[key], peer.credentials != credentials {
            // New credentials deserve a fresh try.
            policy.resetBackOff(key)
        }
        nextRequestID += 1
        let id = nextRequestID
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                guard !Task.isCancelled else {
                    continuation.resume(throwing: CancellationError())
                    return
                }
                waiting.append(Pending(id: id, key: key, endpoint: endpoint, request: request, credentials: credentials,
                                       continuation: continuation,
                                       staleRetries: request.isSafeToRepeat ? configuration.staleSessionRetries : 0))
                dispatch()
            }
        } onCancel: {
            Task { await self.withdraw(id) }
        }
    }

    private func withdraw(_ id: UInt64) {
        guard let index = waiting.firstIndex(where: { $0.id == id }) else { return }
        waiting.remove(at: index).continuation.resume(throwing: CancellationError())
    }

    /// Sends a request and requires completion code 00.
    public func run(_ request: IPMIRequest, _ what: String, to endpoint: BMCEndpoint, credentials: BMCCredentials) async throws -> [UInt8] {
        let response = try await send(request, to: endpoint, credentials: credentials)
        guard response.completionCode == .ok else { throw ConsoleError.completionCode(response.completionCode, what) }
        return response.data
    }

    /// True when the chassis reports power on.
    public func powerIsOn(_ endpoint: BMCEndpoint, credentials: BMCCredentials) async throws -> Bool {
        try GetChassisStatus.Response(data: await run(GetChassisStatus.request, "Get Chassis Status", to: endpoint,
                                                      credentials: credentials)).powerOn
    }

    public func chassisControl(_ action: ChassisControl, _ endpoint: BMCEndpoint, credentials: BMCCredentials) async throws {
        _ = try await run(action.request, "Chassis Control (\(action))", to: endpoint, credentials: credentials)
    }

    /// BMCs with a session open (or opening) now.
    public var sessionCount: Int { peers.values.reduce(0) { $0 + ($1.machine.isFinished ? 0 : 1) } }

    /// Fails queued requests, closes every session (bounded by `closeTimeout`) and releases the socket.
    public func shutdown() async {
        guard state == .running else {
            if state == .idle { state = .stopped }
            return
        }
        state = .stopping
        let queued = waiting
        waiting.removeAll()
        for pending in queued { pending.continuation.resume(throwing: BMCClientError.shutDown) }
        peers = peers.filter { !$0.value.machine.isFinished }
        for key in Array(peers.keys) {
            guard let peer = peers[key] else { continue }
            perform(peers[key]!.machine.close(entropy: &entropy), key: key, generation: peer.generation)
        }
        if !peers.isEmpty {
            let timeout = Task { [weak self, closeTimeout = configuration.closeTimeout] in
                try? await Task.sleep(for: closeTimeout)
                await self?.finishClosing()
            }
            await withCheckedContinuation { closeWaiter = $0 }
            timeout.cancel()
        }
        finishClosing()
        // Requests still on the wire when the wait ran out (a BMC not answering) end here.
        for (key, peer) in peers {
            if let current = peer.current {
                peers[key]!.current = nil
                current.pending.continuation.resume(throwing: BMCClientError.shutDown)
            }
        }
        peers.removeAll()
        wheel.removeAll()
        state = .stopped
        tickerTask?.cancel()
        tickerTask = nil
        try? await channel?.close()
        receiveTask?.cancel()
        receiveTask = nil
        channel = nil
    }

    // MARK: Scheduling

    private var now: Duration { clock.now - origin }

    private func resolve(_ endpoint: BMCEndpoint) throws -> SocketAddress {
        if let address = resolved[endpoint] { return address }
        do {
            let address = try SocketAddress.makeAddressResolvingHost(endpoint.address, port: endpoint.port)
            resolved[endpoint] = address
            return address
        } catch {
            throw BMCClientError.unresolvable(endpoint, "\(error)")
        }
    }

    /// Starts every waiting request the policy admits; re-entrant calls fold into the running pass.
    private func dispatch() {
        guard !dispatching else {
            dispatchAgain = true
            return
        }
        dispatching = true
        defer { dispatching = false }
        repeat {
            dispatchAgain = false
            let now = self.now
            var held: [Pending] = []
            // Once full, the rest waits for a slot (back-off refusals included) without being looked at.
            while policy.inFlight < policy.configuration.maximumInFlight, let pending = waiting.popFirst() {
                switch policy.admit(pending.key, now: now) {
                case .start:
                    var admitted = pending
                    admitted.startedAt = now
                    begin(admitted)
                case .wait:
                    held.append(pending)
                case .refuse(let error, let until):
                    metrics.recordBMCRequestRefused(.backingOff)
                    pending.continuation.resume(throwing: BMCClientError.backingOff(error, retryIn: until - now))
                }
            }
            for pending in held.reversed() { waiting.prepend(pending) }
        } while dispatchAgain
    }

    /// Hands an admitted request to its BMC's session, opening one if there is none to reuse.
    private func begin(_ pending: Pending) {
        let key = pending.key
        if let peer = peers[key], peer.machine.isFinished || peer.credentials != pending.credentials {
            // A session under other credentials is abandoned; the BMC expires it.
            peers[key] = nil
        }
        if peers[key] == nil {
            nextGeneration += 1
            let credentials = pending.credentials
            let console = ConsoleConfiguration(username: credentials.username, password: credentials.password, kg: credentials.kg,
                                               privilege: credentials.privilege, cipherSuite: credentials.cipherSuite,
                                               retransmitInterval: configuration.retransmitInterval,
                                               maximumAttempts: configuration.maximumAttempts,
                                               keepAliveInterval: configuration.keepAliveInterval)
            peers[key] = Peer(machine: ConsoleStateMachine(configuration: console), credentials: credentials,
                              generation: nextGeneration)
            perform(peers[key]!.machine.start(entropy: &entropy), key: key, generation: nextGeneration)
        }
        guard let peer = peers[key] else {
            finish(pending, .failure(.sessionClosed))
            return
        }
        let (token, actions) = peers[key]!.machine.enqueue(pending.request, entropy: &entropy)
        peers[key]!.current = (token, pending, peer.established)
        perform(actions, key: key, generation: peer.generation)
    }

    private func finish(_ pending: Pending, _ result: Result<IPMIResponse, ConsoleError>) {
        metrics.recordBMCRequest(after: now - (pending.startedAt ?? now), result)
        let outcome: BMCSchedulingPolicy<SocketAddress>.Outcome
        switch result {
        case .success(let response):
            outcome = .success
            pending.continuation.resume(returning: response)
        case .failure(let error):
            outcome = .failure(error)
            pending.continuation.resume(throwing: error)
        }
        if !configuration.persistentSessions, state == .running, let peer = peers[pending.key], !peer.machine.isFinished {
            // `perform` sends the Close Session once the machine's current actions are done (closing in the middle
            // of them would let a later timer action disarm the close's retransmissions).
            peers[pending.key]!.releaseAfterClose = outcome
            return
        }
        policy.finish(pending.key, now: now, outcome: outcome)
        dispatch()
    }

    private func completed(_ token: RequestToken, _ result: Result<IPMIResponse, ConsoleError>, key: SocketAddress) {
        guard let current = peers[key]?.current, current.token == token else { return }
        peers[key]!.current = nil
        if case .failure(.timeout) = result, current.sessionWasUp, current.pending.staleRetries > 0, state == .running {
            // The BMC may have dropped the session (restart, expiry): once more on a fresh one, keeping the slot.
            var retry = current.pending
            retry.staleRetries -= 1
            if let machine = peers[key]?.machine, !machine.isFinished {
                peers[key] = nil
            }
            begin(retry)
            return
        }
        finish(current.pending, result)
    }

    // MARK: Events

    private func receive(_ datagram: [UInt8], from source: SocketAddress) {
        guard let peer = peers[source] else { return }
        perform(peers[source]!.machine.receive(datagram, entropy: &entropy), key: source, generation: peer.generation)
    }

    private func onTick() {
        elapsedTicks += 1
        if let due = wheel.removeValue(forKey: elapsedTicks) {
            for timer in due {
                guard let peer = peers[timer.key], peer.generation == timer.generation, peer.armed == timer.token else { continue }
                peers[timer.key]!.armed = nil
                perform(peers[timer.key]!.machine.timerFired(timer.token, entropy: &entropy), key: timer.key,
                        generation: timer.generation)
            }
        }
        if !waiting.isEmpty { dispatch() }
    }

    private func perform(_ actions: [ConsoleAction], key: SocketAddress, generation: UInt64) {
        defer { closeIfAnswered(key, generation: generation) }
        for action in actions {
            guard peers[key]?.generation == generation else { return }
            switch action {
            case .send(let bytes):
                guard let channel else { continue }
                let buffer = channel.allocator.buffer(bytes: bytes)
                channel.writeAndFlush(AddressedEnvelope(remoteAddress: key, data: buffer), promise: nil)
            case .startTimer(let token, let delay):
                // The machine keeps one live timer; a new one supersedes the old.
                peers[key]!.armed = token
                let due = elapsedTicks + max(1, UInt64((delay / configuration.tick).rounded(.up)))
                wheel[due, default: []].append((key, generation, token))
            case .established:
                peers[key]!.established = true
            case .completed(let token, let result):
                completed(token, result, key: key)
            case .failed, .closed:
                peers[key]!.armed = nil
                if let outcome = peers[key]!.releaseAfterClose {
                    // A fresh session is over: nothing of it is kept, and the BMC's slot is free again.
                    peers[key] = nil
                    policy.finish(key, now: now, outcome: outcome)
                    if state == .stopping, peers.isEmpty { finishClosing() }
                    dispatch()
                } else if state == .stopping {
                    peers[key] = nil
                    if peers.isEmpty { finishClosing() }
                }
            }
        }
    }

    /// Fresh sessions: starts closing a session whose request was answered (see `finish`).
    private func closeIfAnswered(_ key: SocketAddress, generation: UInt64) {
        guard let peer = peers[key], peer.generation == generation, peer.releaseAfterClose != nil, !peer.closing else { return }
        peers[key]!.closing = true
        perform(peers[key]!.machine.close(entropy: &entropy), key: key, generation: generation)
    }

    private func finishClosing() {
        closeWaiter?.resume()
        closeWaiter = nil
    }
}

private final class BMCClientDatagramHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>

    private let continuation: AsyncStream<(SocketAddress, [UInt8])>.Continuation

    init(continuation: AsyncStream<(SocketAddress, [UInt8])>.Continuation) {
        self.continuation = continuation
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        continuation.yield((envelope.remoteAddress, Array(envelope.data.readableBytesView)))
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // ICMP errors (a BMC not listening) are not fatal: the session's retransmission timers decide.
    }
}
