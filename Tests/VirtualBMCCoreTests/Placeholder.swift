import Testing
@Test func placeholderUntilTheModelTestsLand() {}
