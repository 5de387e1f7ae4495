// The fleet helpers are shared with the controller's tests.
@_exported import TestSupport
