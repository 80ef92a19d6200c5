#include "neuroppa/base/parallel.hpp"

#include <algorithm>
#include <atomic>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace neuroppa::base {

void parallel_for(std::size_t n, unsigned jobs, const std::function<void(std::size_t)>& task) {
  std::vector<std::exception_ptr> errors(n);
  std::atomic<std::size_t> next{0};
  auto work = [&] {
    for (std::size_t i; (i = next.fetch_add(1)) < n;) {
      try {
        task(i);
      } catch (...) {
        errors[i] = std::current_exception();
      }
    }
  };
  const std::size_t helpers = std::min<std::size_t>(n, std::max(1u, jobs)) - (n > 0 ? 1 : 0);
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < helpers; ++t) threads.emplace_back(work);
  work();
  for (auto& t : threads) t.join();
  for (const auto& e : errors)
    if (e) std::rethrow_exception(e);
}

ProgressFn whole_lines(ProgressFn out) {
  if (!out) return out;
  struct State {
    std::mutex mutex;
    std::map<std::thread::id, std::string> pending;
  };
  auto state = std::make_shared<State>();
  return [state, out = std::move(out)](std::string_view text) {
    std::lock_guard lock(state->mutex);
    std::string& held = state->pending[std::this_thread::get_id()];
    held += text;
    const std::size_t end = held.rfind('\n');
    if (end == std::string::npos) return;
    out(std::string_view(held).substr(0, end + 1));
    held.erase(0, end + 1);
  };
}

}  // namespace neuroppa::base
