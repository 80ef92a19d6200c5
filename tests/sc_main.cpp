// doctest runner for tests that use SystemC: libsystemc provides main() and
// calls sc_main, so the tests run from here.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <systemc>

int sc_main(int argc, char** argv) {
  doctest::Context context(argc, argv);
  return context.run();
}
