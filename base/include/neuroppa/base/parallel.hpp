// Independent steps on several threads: building models and netlists that do
// not depend on each other while the machine has cores free.
#pragma once

#include <cstddef>
#include <functional>

#include "neuroppa/base/progress.hpp"

namespace neuroppa::base {

// Runs task(i) for every i in [0, n) on up to `jobs` threads (the caller's
// among them) and waits for all of them. If tasks throw, every task still
// runs to its end and the exception of the lowest index is rethrown, so the
// error a user sees does not depend on scheduling.
void parallel_for(std::size_t n, unsigned jobs, const std::function<void(std::size_t)>& task);

// A progress callback that threads may share: each thread's text is held
// until it ends a line, then the whole line goes to `out` under a lock, so
// that "building model A ... done" of one thread is never cut by another's.
ProgressFn whole_lines(ProgressFn out);

}  // namespace neuroppa::base
