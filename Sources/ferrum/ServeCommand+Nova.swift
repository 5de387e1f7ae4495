import ArgumentParser
import Controller
import ControllerCore
import Logging

extension Serve {
    /// The Nova notifier when `[nova]` asks for one; nil (events stay pending in the outbox) otherwise.
    func novaNotifier(_ nova: ControllerConfiguration.Nova, store: any ControllerStore, logger: Logger,
                      metrics: ControllerMetrics, doorbell: OutboxDoorbell) throws -> NovaNotifier? {
        guard nova.sendPowerNotifications else { return nil }
        let auth: NovaAuth?
        do {
            auth = try NovaAuth(nova)
        } catch {
            throw ValidationError(error.description)
        }
        guard let auth else {
            logger.warning("[nova] auth_type is not set: power changes stay queued for Nova until it is")
            return nil
        }
        if nova.cafile != nil { logger.warning("[nova] cafile is not applied yet: the system trust store is used") }
        return NovaNotifier(store: store, client: URLSessionNovaClient(auth: auth), configuration: NovaNotifierConfiguration(nova),
                            logger: logger, metrics: metrics, doorbell: doorbell)
    }
}
