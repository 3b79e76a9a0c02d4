#include "protocol/sync/codec.hpp"

#include <algorithm>
#include <cstddef>
#include <limits>

#include "base/json_text.hpp"
#include "protocol/encoding/ids.hpp"

namespace moai::protocol {

const std::string& message_id(const sync_message& m) {
  struct visitor {
    const std::string& operator()(const load_message& x) const { return x.known.id; }
    const std::string& operator()(const known_message& x) const { return x.known.id; }
    const std::string& operator()(const content_message& x) const { return x.id; }
    const std::string& operator()(const done_message& x) const { return x.id; }
    const std::string& operator()(const reconcile_message& x) const { return x.batch_id; }
    const std::string& operator()(const reconcile_ack_message& x) const { return x.batch_id; }
  };
  return std::visit(visitor{}, m);
}

const char* message_action(const sync_message& m) {
  static constexpr const char* names[] = {"load", "known", "content", "done", "reconcile", "reconcile-ack"};
  return names[m.index()];
}

namespace {

constexpr std::uint64_t kMaxCount = std::numeric_limits<std::uint32_t>::max();

bool read_count(const json_value& v, std::uint32_t& out) {
  if (!v.IsUint64() || v.GetUint64() > kMaxCount) return false;
  out = static_cast<std::uint32_t>(v.GetUint64());
  return true;
}

bool read_counts(const json_value& v, session_counts& out, std::string& error) {
  if (!v.IsObject()) {
    error = "sessions is not an object";
    return false;
  }
  for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it) {
    std::uint32_t count = 0;
    if (!read_count(it->value, count)) {
      error = "session count is not a non-negative integer";
      return false;
    }
    out[std::string(view_of(it->name))] = count;
  }
  return true;
}

bool read_known_state(const json_value& msg, std::string_view id, known_state& out, std::string& error) {
  out.id = std::string(id);
  const json_value* header = find_member(msg, "header");
  out.header = header && header->IsBool() && header->GetBool();
  const json_value* sessions = find_member(msg, "sessions");
  if (!sessions) return true;  // absent sessions read as empty, as in JS
  return read_counts(*sessions, out.sessions, error);
}

bool read_session_content(const json_value& entry, session_content& out) {
  if (!entry.IsObject()) {
    out.error = "session entry is not an object";
    return false;
  }
  const json_value* after = find_member(entry, "after");
  const json_value* txs = find_member(entry, "newTransactions");
  std::string_view signature;
  if (!after || !read_count(*after, out.after)) {
    out.error = "invalid after";
    return false;
  }
  if (!txs || !txs->IsArray()) {
    out.error = "invalid newTransactions";
    return false;
  }
  if (!get_string(entry, "lastSignature", signature)) {
    out.error = "invalid lastSignature";
    return false;
  }
  out.last_signature = std::string(signature);
  out.transactions.reserve(txs->Size());
  for (const auto& tx : txs->GetArray()) {
    std::string error;
    auto parsed = parse_transaction(tx, error);
    if (!parsed) {
      out.error = error;
      out.transactions.clear();
      return false;
    }
    out.transactions.push_back(std::move(*parsed));
  }
  return true;
}

// Decodes one parsed message into `frame`.
void decode_message(const json_value& msg, decoded_frame& frame) {
  if (!msg.IsObject()) {
    frame.ignored++;
    return;
  }
  std::string_view action;
  const json_value* action_value = find_member(msg, "action");
  if (!action_value) {
    if (find_member(msg, "time")) {
      frame.pings++;
    } else {
      frame.ignored++;
    }
    return;
  }
  std::string_view id;
  get_string(msg, "id", id);
  auto fail = [&](std::string reason, bool invalid_header = false) {
    frame.errors.push_back({action_value->IsString() ? std::string(view_of(*action_value)) : std::string(),
                            std::string(id), std::move(reason), invalid_header});
  };
  if (!action_value->IsString()) return fail("action is not a string");
  action = view_of(*action_value);

  if (action == "reconcile") {
    const json_value* values = find_member(msg, "values");
    if (id.empty() || !values || !values->IsArray()) return fail("malformed reconcile");
    reconcile_message m;
    m.batch_id = std::string(id);
    for (const auto& pair : values->GetArray()) {
      if (!pair.IsArray() || pair.Size() != 2 || !pair[0].IsString() || !pair[1].IsString()) {
        return fail("malformed reconcile entry");
      }
      m.values.emplace_back(std::string(view_of(pair[0])), std::string(view_of(pair[1])));
    }
    frame.messages.emplace_back(std::move(m));
    return;
  }
  if (action == "reconcile-ack") {
    frame.messages.emplace_back(reconcile_ack_message{std::string(id)});
    return;
  }

  if (!is_covalue_id(id)) return fail(id.empty() ? "missing id" : "invalid id");
  std::string error;

  if (action == "load" || action == "known") {
    known_state known;
    if (!read_known_state(msg, id, known, error)) return fail(error);
    if (action == "load") {
      frame.messages.emplace_back(load_message{std::move(known)});
    } else {
      const json_value* correction = find_member(msg, "isCorrection");
      bool is_correction = correction && correction->IsBool() && correction->GetBool();
      frame.messages.emplace_back(known_message{std::move(known), is_correction});
    }
    return;
  }
  if (action == "done") {
    frame.messages.emplace_back(done_message{std::string(id)});
    return;
  }
  if (action == "content") {
    content_message m;
    m.id = std::string(id);
    if (const json_value* header = find_member(msg, "header"); header && !header->IsNull()) {
      auto parsed = parse_header(*header, error);
      if (!parsed) return fail("invalid header: " + error, true);
      std::string computed = covalue_id_of(*parsed);
      if (computed != m.id) return fail("header hashes to " + computed + ", not to the message id", true);
      m.header = std::move(*parsed);
    }
    const json_value* sessions = find_member(msg, "new");
    if (!sessions || !sessions->IsObject()) return fail("content without new");
    m.sessions.reserve(sessions->MemberCount());
    for (auto it = sessions->MemberBegin(); it != sessions->MemberEnd(); ++it) {
      session_content entry;
      entry.session_id = std::string(view_of(it->name));
      read_session_content(it->value, entry);
      m.sessions.push_back(std::move(entry));
    }
    if (const json_value* expect = find_member(msg, "expectContentUntil"); expect && expect->IsObject()) {
      session_counts counts;
      if (read_counts(*expect, counts, error)) m.expect_content_until = std::move(counts);
    }
    frame.messages.emplace_back(std::move(m));
    return;
  }
  fail("unknown action");
}

void append_counts(std::string& out, const session_counts& counts) {
  out.push_back('{');
  bool first = true;
  for (const auto& [session, count] : counts) {
    if (!first) out.push_back(',');
    first = false;
    base::append_json_string(out, session);
    out.push_back(':');
    out.append(std::to_string(count));
  }
  out.push_back('}');
}

std::string encode_known_state(std::string_view action, const known_state& known, bool is_correction) {
  std::string out = "{\"action\":\"";
  out.append(action);
  out.append("\",");
  if (is_correction) out.append("\"isCorrection\":true,");
  out.append("\"id\":");
  base::append_json_string(out, known.id);
  out.append(known.header ? ",\"header\":true,\"sessions\":" : ",\"header\":false,\"sessions\":");
  append_counts(out, known.sessions);
  out.push_back('}');
  return out;
}

}  // namespace

decoded_frame decode_frame(std::string_view frame, std::size_t max_messages) {
  decoded_frame result;
  if (frame.empty()) return result;  // keep-alive
  result.pieces = static_cast<std::size_t>(std::count(frame.begin(), frame.end(), '\n')) + 1;
  if (result.pieces > max_messages) {
    result.too_many_messages = true;
    return result;
  }
  // The messages of a frame share one memory pool, over a buffer this thread reuses: a
  // frame of ordinary size is parsed without a heap allocation for its values
  // (RapidJSON's default makes an allocator object and a 64 KiB chunk per document).
  // Nothing parsed outlives this call: decode_message copies what it keeps.
  alignas(std::max_align_t) thread_local char pool_buffer[16 * 1024];
  rapidjson::CrtAllocator heap;
  rapidjson::MemoryPoolAllocator<> pool(pool_buffer, sizeof pool_buffer, 64 * 1024, &heap);
  // Like cojson-transport-ws: split on '\n'; if any piece (even an empty one) is not
  // JSON, the whole frame is dropped.
  std::vector<json_document> docs;
  docs.reserve(result.pieces);
  std::size_t start = 0;
  for (;;) {
    std::size_t end = frame.find('\n', start);
    std::string_view piece = frame.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    json_document doc(&pool, 1024, &heap);
    std::string error;
    if (!parse_json(piece, doc, error)) {
      result.dropped = true;
      result.drop_reason = error;
      return result;
    }
    docs.push_back(std::move(doc));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  for (const auto& doc : docs) decode_message(doc, result);
  return result;
}

std::string encode_load(const known_state& known) { return encode_known_state("load", known, false); }

std::string encode_known(const known_state& known, bool is_correction) {
  return encode_known_state("known", known, is_correction);
}

std::string encode_done(std::string_view id) {
  std::string out = "{\"action\":\"done\",\"id\":";
  base::append_json_string(out, id);
  out.push_back('}');
  return out;
}

std::string encode_reconcile(const reconcile_message& m) {
  std::string out = "{\"action\":\"reconcile\",\"id\":";
  base::append_json_string(out, m.batch_id);
  out.append(",\"values\":[");
  for (std::size_t i = 0; i < m.values.size(); ++i) {
    if (i) out.push_back(',');
    out.push_back('[');
    base::append_json_string(out, m.values[i].first);
    out.push_back(',');
    base::append_json_string(out, m.values[i].second);
    out.push_back(']');
  }
  out.append("]}");
  return out;
}

std::string encode_reconcile_ack(std::string_view batch_id) {
  std::string out = "{\"action\":\"reconcile-ack\",\"id\":";
  base::append_json_string(out, batch_id);
  out.push_back('}');
  return out;
}

std::string encode_ping(std::int64_t time_ms, std::string_view datacenter) {
  std::string out = "{\"type\":\"ping\",\"time\":";
  out.append(std::to_string(time_ms));
  out.append(",\"dc\":");
  base::append_json_string(out, datacenter);
  out.push_back('}');
  return out;
}

std::string encode_content(const content_message& m) {
  content_writer w(m.id, m.header ? std::string_view(m.header->json) : std::string_view(),
                   m.header ? m.header->content_priority() : priority::medium);
  for (const auto& s : m.sessions) {
    w.begin_session(s.session_id, s.after);
    for (const auto& tx : s.transactions) w.add_transaction(tx.json);
    w.end_session(s.last_signature);
  }
  return w.finish(m.expect_content_until ? &*m.expect_content_until : nullptr);
}

content_writer::content_writer(std::string_view id, std::string_view header_json, priority prio) {
  out_.reserve(256);
  out_.append("{\"action\":\"content\",\"id\":");
  base::append_json_string(out_, id);
  if (!header_json.empty()) {
    out_.append(",\"header\":");
    out_.append(header_json);
  }
  out_.append(",\"priority\":");
  out_.append(std::to_string(static_cast<int>(prio)));
  out_.append(",\"new\":{");
}

void content_writer::begin_session(std::string_view session_id, std::uint32_t after) {
  if (!first_session_) out_.push_back(',');
  first_session_ = false;
  first_tx_ = true;
  base::append_json_string(out_, session_id);
  out_.append(":{\"after\":");
  out_.append(std::to_string(after));
  out_.append(",\"newTransactions\":[");
}

void content_writer::add_transaction(std::string_view canonical_json) {
  if (!first_tx_) out_.push_back(',');
  first_tx_ = false;
  out_.append(canonical_json);
}

void content_writer::end_session(std::string_view last_signature) {
  out_.append("],\"lastSignature\":");
  base::append_json_string(out_, last_signature);
  out_.push_back('}');
}

std::string content_writer::finish(const session_counts* expect_content_until) {
  out_.push_back('}');
  if (expect_content_until) {
    out_.append(",\"expectContentUntil\":");
    append_counts(out_, *expect_content_until);
  }
  out_.push_back('}');
  return std::move(out_);
}

}  // namespace moai::protocol
