// Requests whose timeout is a coarse timer (coarse_timers.hpp) instead of CAF's clock,
// which wakes its thread for every request sent with a timeout. The request goes out
// without one; a coarse timer sends the actor `request_overdue`, and whichever of the
// answer and the timer comes first decides. An answer cancels its timer.
#pragma once

#include <caf/all.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <unordered_map>
#include <utility>

#include "actors/sync/coarse_timers.hpp"

namespace moai::actors {

// The timer of a request ran out (the actor hands it to request_deadlines::overdue).
struct request_overdue {
  std::uint64_t token = 0;
};

class request_deadlines {
 public:
  explicit request_deadlines(coarse_timers* timers = nullptr) : timers_(timers) {}

  // Sends `request` to `dest`, then calls `on_reply(Reply&)`, or `on_error(caf::error&)`
  // with sec::request_timeout once `timeout` passed without an answer.
  template <class Reply, class Self, class Dest, class Request, class OnReply, class OnError>
  void request(Self self, const Dest& dest, std::chrono::milliseconds timeout, Request&& request, OnReply on_reply,
               OnError on_error) {
    if (!timers_) {  // no coarse timers (tests of an actor alone): CAF's own timeout
      self->request(dest, timeout, std::forward<Request>(request)).then(on_reply, on_error);
      return;
    }
    const std::uint64_t token = ++next_token_;
    open_.emplace(token, open_request{timers_->send_later(timeout, self, request_overdue{token}), [on_error]() mutable {
                                        caf::error timed_out = caf::make_error(caf::sec::request_timeout);
                                        on_error(timed_out);
                                      }});
    self->request(dest, caf::infinite, std::forward<Request>(request))
        .then(
            [this, token, on_reply](Reply& reply) mutable {
              if (close(token)) on_reply(reply);
            },
            [this, token, on_error](caf::error& error) mutable {
              if (close(token)) on_error(error);
            });
  }

  // The timer of `token` fired: its request fails unless it was answered.
  void overdue(std::uint64_t token) {
    auto it = open_.find(token);
    if (it == open_.end()) return;
    auto on_overdue = std::move(it->second.on_overdue);
    open_.erase(it);
    on_overdue();
  }

  std::size_t open() const { return open_.size(); }

 private:
  struct open_request {
    coarse_timers::key timer;
    std::function<void()> on_overdue;
  };

  // True if the request was still open (its answer counts).
  bool close(std::uint64_t token) {
    auto it = open_.find(token);
    if (it == open_.end()) return false;
    timers_->cancel(it->second.timer);
    open_.erase(it);
    return true;
  }

  coarse_timers* timers_;
  std::unordered_map<std::uint64_t, open_request> open_;
  std::uint64_t next_token_ = 0;
};

}  // namespace moai::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(moai::actors::request_overdue)
