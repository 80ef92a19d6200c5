// libsystemc.so carries a main() that calls sc_main(); the benchmarks that
// link SystemC without being SystemC programs have their own main, and this
// satisfies the library's reference (some link modes, e.g. under
// -fsanitize, insist on it).
extern "C" int sc_main(int, char**) { return 2; }
