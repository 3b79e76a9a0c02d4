// Timers that wake no thread when set (actors/sync/coarse_timers) and request timeouts
// kept on them (request_deadlines): never early, at most a resolution late, cancelled
// ones never fire, an answer wins over a later timeout and a timeout over a later answer.
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <string>

#include "actors/sync/coarse_timers.hpp"
#include "actors/sync/request_deadlines.hpp"

using namespace moai::actors;
using namespace std::chrono;
using steady = steady_clock;

namespace {

struct actor_fixture {
  caf::actor_system_config config;
  caf::actor_system system{config};
};

// Waits for one string from the timers; "" after `within`.
std::string next_message(caf::scoped_actor& self, milliseconds within) {
  std::string got;
  self->receive([&](const std::string& s) { got = s; }, caf::after(within) >> [] {});
  return got;
}

// Asks `server` for an int with a deadline; tells `observer` "reply N" or the error.
caf::behavior asker(caf::event_based_actor* self, coarse_timers* timers, caf::actor server, caf::actor observer,
                    milliseconds timeout) {
  auto requests = std::make_shared<request_deadlines>(timers);
  requests->request<int>(
      self, server, timeout, std::string("ask"),
      [=](int& n) { caf::anon_send(observer, "reply " + std::to_string(n)); },
      [=](caf::error& e) { caf::anon_send(observer, self->system().render(e)); });
  return {[=](request_overdue& r) { requests->overdue(r.token); }};
}

// Answers "ask" with 42 after `delay`.
caf::behavior server(caf::event_based_actor* self, milliseconds delay) {
  return {[=](const std::string&) -> caf::result<int> {
    auto promise = self->make_response_promise<int>();
    self->delayed_send(self, delay, caf::atom("answer"));
    self->become(caf::keep_behavior, [=](caf::atom_value) mutable {
      promise.deliver(42);
      self->unbecome();
    });
    return promise;
  }};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(coarse_timers_rules)

BOOST_FIXTURE_TEST_CASE(fire_in_due_order_never_early_at_most_a_resolution_late, actor_fixture) {
  coarse_timers timers(milliseconds(50));
  caf::scoped_actor self{system};
  const auto start = steady::now();
  timers.send_later(milliseconds(200), self, std::string("second"));
  timers.send_later(milliseconds(60), self, std::string("first"));
  BOOST_TEST(next_message(self, milliseconds(2000)) == "first");
  const auto first = steady::now() - start;
  BOOST_TEST(next_message(self, milliseconds(2000)) == "second");
  const auto second = steady::now() - start;
  BOOST_TEST(duration_cast<milliseconds>(first).count() >= 60);
  BOOST_TEST(duration_cast<milliseconds>(second).count() >= 200);
  BOOST_TEST(duration_cast<milliseconds>(second).count() < 200 + 50 + 500);  // + scheduling slack
  BOOST_TEST(timers.pending() == 0u);
}

BOOST_FIXTURE_TEST_CASE(a_cancelled_timer_never_fires, actor_fixture) {
  coarse_timers timers(milliseconds(10));
  caf::scoped_actor self{system};
  auto k = timers.send_later(milliseconds(50), self, std::string("cancelled"));
  timers.send_later(milliseconds(120), self, std::string("kept"));
  timers.cancel(k);
  BOOST_TEST(next_message(self, milliseconds(2000)) == "kept");
  BOOST_TEST(next_message(self, milliseconds(100)) == "");
}

BOOST_FIXTURE_TEST_CASE(a_timer_for_an_actor_that_is_gone_is_dropped, actor_fixture) {
  coarse_timers timers(milliseconds(10));
  {
    caf::scoped_actor gone{system};
    timers.send_later(milliseconds(30), gone, std::string("nobody"));
  }
  caf::scoped_actor self{system};
  timers.send_later(milliseconds(80), self, std::string("after"));
  BOOST_TEST(next_message(self, milliseconds(2000)) == "after");
}

BOOST_FIXTURE_TEST_CASE(stopped_timers_never_fire, actor_fixture) {
  coarse_timers timers(milliseconds(10));
  caf::scoped_actor self{system};
  timers.send_later(milliseconds(30), self, std::string("never"));
  timers.stop();
  BOOST_TEST(next_message(self, milliseconds(150)) == "");
}

BOOST_FIXTURE_TEST_CASE(an_answer_in_time_wins_and_cancels_its_timer, actor_fixture) {
  coarse_timers timers(milliseconds(10));
  caf::scoped_actor observer{system};
  auto answering = system.spawn(server, milliseconds(20));
  system.spawn(asker, &timers, answering, caf::actor_cast<caf::actor>(observer), milliseconds(1000));
  BOOST_TEST(next_message(observer, milliseconds(3000)) == "reply 42");
  BOOST_TEST(timers.pending() == 0u);
  BOOST_TEST(next_message(observer, milliseconds(1200)) == "");  // no timeout afterwards
  caf::anon_send_exit(answering, caf::exit_reason::user_shutdown);
}

BOOST_FIXTURE_TEST_CASE(a_timeout_wins_over_a_later_answer, actor_fixture) {
  coarse_timers timers(milliseconds(10));
  caf::scoped_actor observer{system};
  auto late = system.spawn(server, milliseconds(400));
  const auto start = steady::now();
  system.spawn(asker, &timers, late, caf::actor_cast<caf::actor>(observer), milliseconds(100));
  const auto got = next_message(observer, milliseconds(3000));
  BOOST_TEST(got.find("request_timeout") != std::string::npos, got);
  BOOST_TEST(duration_cast<milliseconds>(steady::now() - start).count() >= 100);
  BOOST_TEST(next_message(observer, milliseconds(700)) == "");  // the late answer is ignored
  caf::anon_send_exit(late, caf::exit_reason::user_shutdown);
}

BOOST_AUTO_TEST_SUITE_END()
