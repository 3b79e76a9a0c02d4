#include "base/json_number.hpp"

#include <charconv>
#include <cmath>

namespace moai::base {
namespace {

// Shortest round-trip decimal digits of |value| (no leading/trailing zeros) and the
// decimal exponent n such that value = 0.d1d2d3… × 10^n.
struct decimal {
  char digits[32];
  int length = 0;
  int point = 0;  // n: position of the decimal point relative to the digits
};

decimal shortest_digits(double value) {
  char buf[64];
  // Scientific form "d.ddde±x" gives the shortest round-trip digits (libstdc++ uses Ryu).
  auto res = std::to_chars(buf, buf + sizeof buf, std::fabs(value), std::chars_format::scientific);
  decimal d;
  const char* p = buf;
  for (; p < res.ptr && *p != 'e'; ++p) {
    if (*p != '.') d.digits[d.length++] = *p;
  }
  // "e+05" / "e-07"; to_chars does not terminate the buffer.
  int exponent = 0;
  bool negative = false;
  for (++p; p < res.ptr; ++p) {
    if (*p == '-') {
      negative = true;
    } else if (*p >= '0' && *p <= '9') {
      exponent = exponent * 10 + (*p - '0');
    }
  }
  if (negative) exponent = -exponent;
  while (d.length > 1 && d.digits[d.length - 1] == '0') --d.length;
  d.point = exponent + 1;
  return d;
}

void append_exponent(std::string& out, int e, bool plus_sign) {
  out.push_back('e');
  if (e < 0) {
    out.push_back('-');
    e = -e;
  } else if (plus_sign) {
    out.push_back('+');
  }
  out.append(std::to_string(e));
}

}  // namespace

void append_js_number(std::string& out, double value) {
  if (!std::isfinite(value)) {
    out.append("null");
    return;
  }
  if (value == 0) {
    out.push_back('0');
    return;
  }
  if (value < 0) out.push_back('-');
  decimal d = shortest_digits(value);
  const int k = d.length, n = d.point;
  if (k <= n && n <= 21) {
    out.append(d.digits, k);
    out.append(static_cast<std::size_t>(n - k), '0');
  } else if (0 < n && n <= 21) {
    out.append(d.digits, n);
    out.push_back('.');
    out.append(d.digits + n, k - n);
  } else if (-6 < n && n <= 0) {
    out.append("0.");
    out.append(static_cast<std::size_t>(-n), '0');
    out.append(d.digits, k);
  } else {
    out.push_back(d.digits[0]);
    if (k > 1) {
      out.push_back('.');
      out.append(d.digits + 1, k - 1);
    }
    append_exponent(out, n - 1, true);
  }
}

void append_serde_f64(std::string& out, double value) {
  if (!std::isfinite(value)) {
    out.append("null");
    return;
  }
  if (std::signbit(value)) out.push_back('-');
  if (value == 0) {
    out.append("0.0");
    return;
  }
  decimal d = shortest_digits(value);
  // ryu's layout (pretty.rs): length digits, exponent k = point - length, kk = point.
  const int length = d.length, kk = d.point, k = kk - length;
  if (0 <= k && kk <= 16) {
    out.append(d.digits, length);
    out.append(static_cast<std::size_t>(k), '0');
    out.append(".0");
  } else if (0 < kk && kk <= 16) {
    out.append(d.digits, kk);
    out.push_back('.');
    out.append(d.digits + kk, length - kk);
  } else if (-5 < kk && kk <= 0) {
    out.append("0.");
    out.append(static_cast<std::size_t>(-kk), '0');
    out.append(d.digits, length);
  } else {
    out.push_back(d.digits[0]);
    if (length > 1) {
      out.push_back('.');
      out.append(d.digits + 1, length - 1);
    }
    append_exponent(out, kk - 1, false);
  }
}

}  // namespace moai::base
