// SvgPlot (core/netcheck_report.h): loss against offered rate, one line per
// receiver, its knee marked by a dashed drop line and a ring. Receivers on a
// LAN often measure the same losses, and their lines would hide one another:
// a line that coincides with earlier ones is dashed so each colour shows in
// turn, and the legend says whose line it lies on. Plain SVG 1.1 text with
// fixed geometry; no script, no external fonts.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "core/netcheck_report.h"

namespace fleetcast::netcheck {

namespace {

constexpr double kWidth = 780;
constexpr double kHeight = 440;
constexpr double kLeft = 70;  // the plot area
constexpr double kRight = 560;
constexpr double kTop = 50;
constexpr double kBottom = 380;
constexpr double kLegendText = kRight + 50;
// Lines closer than this at every point look like one line.
constexpr double kCoincidePx = 1.5;
constexpr double kDashPx = 6;
constexpr const char* kColors[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                                   "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};

std::string N(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f", v);
  return buf;
}

std::string Escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string Text(double x, double y, const std::string& s, const char* anchor = "middle") {
  return "<text x=\"" + N(x) + "\" y=\"" + N(y) + "\" text-anchor=\"" + anchor + "\">" + Escape(s) +
         "</text>\n";
}

std::string Line(double x1, double y1, double x2, double y2, const std::string& style) {
  return "<line x1=\"" + N(x1) + "\" y1=\"" + N(y1) + "\" x2=\"" + N(x2) + "\" y2=\"" + N(y2) +
         "\" " + style + "/>\n";
}

// Maps rates (log scale) and losses to the plot area.
class Axes {
 public:
  Axes(uint64_t low, uint64_t high, double max_loss) {
    lo_ = std::log10(static_cast<double>(std::max<uint64_t>(low, 1)));
    hi_ = std::log10(static_cast<double>(std::max<uint64_t>(high, 1)));
    // Room at both ends, so the first and last points are not on the frame.
    const double pad = hi_ > lo_ ? (hi_ - lo_) * 0.06 : 0.5;
    lo_ -= pad;
    hi_ += pad;
    for (double top : {1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0}) {
      top_ = top;
      if (max_loss * 100 <= top) break;
    }
  }
  double X(uint64_t rate) const {
    const double v = std::log10(static_cast<double>(std::max<uint64_t>(rate, 1)));
    return kLeft + (v - lo_) / (hi_ - lo_) * (kRight - kLeft);
  }
  double Y(double loss) const {
    return kBottom - std::min(loss * 100, top_) / top_ * (kBottom - kTop);
  }
  double top_percent() const { return top_; }

 private:
  double lo_ = 0;
  double hi_ = 1;
  double top_ = 100;
};

std::string Frame(const Netcheck& check, const std::vector<size_t>& steps, const Axes& axes) {
  std::string out;
  const std::string grid = "stroke=\"#dddddd\" stroke-width=\"1\"";
  for (int i = 0; i <= 5; ++i) {
    const double loss = axes.top_percent() / 100 * i / 5;
    const double y = axes.Y(loss);
    out += Line(kLeft, y, kRight, y, grid);
    char label[16];
    std::snprintf(label, sizeof(label), "%g%%", axes.top_percent() * i / 5);
    out += Text(kLeft - 8, y + 4, label, "end");
  }
  for (size_t i : steps) {
    const double x = axes.X(check.steps[i].offered_bits);
    out += Line(x, kTop, x, kBottom, grid);
    out += Text(x, kBottom + 18, RateText(check.steps[i].offered_bits));
  }
  const std::string axis = "stroke=\"#333333\" stroke-width=\"1.5\"";
  out += Line(kLeft, kBottom, kRight, kBottom, axis);
  out += Line(kLeft, kTop, kLeft, kBottom, axis);
  out += Text((kLeft + kRight) / 2, kBottom + 40, "offered rate (bit/s on the wire, log scale)");
  out += "<text x=\"18\" y=\"" + N((kTop + kBottom) / 2) +
         "\" text-anchor=\"middle\" transform=\"rotate(-90 18 " + N((kTop + kBottom) / 2) +
         ")\">loss</text>\n";
  out += "<text x=\"" + N(kWidth / 2) +
         "\" y=\"28\" text-anchor=\"middle\" font-size=\"16\" font-weight=\"bold\">"
         "fleetcast netcheck: loss against offered rate</text>\n";
  return out;
}

// Where a receiver's line lies on earlier ones: the first receiver of its
// group of coinciding lines (or -1 if it is alone or first), and its place
// in the group and the group's size, for its dash pattern.
struct Overlap {
  int on = -1;
  size_t place = 0;
  size_t group = 1;
};

std::vector<double> Ys(const std::vector<size_t>& steps, const Axes& axes,
                       const ReceiverResult& r) {
  std::vector<double> ys;
  ys.reserve(steps.size());
  for (size_t i : steps) ys.push_back(i < r.steps.size() ? axes.Y(r.steps[i].loss()) : -1);
  return ys;
}

bool Coincide(const std::vector<double>& a, const std::vector<double>& b) {
  for (size_t i = 0; i < a.size(); ++i) {
    if ((a[i] < 0) != (b[i] < 0) || std::abs(a[i] - b[i]) > kCoincidePx) return false;
  }
  return true;
}

std::vector<Overlap> Overlaps(const Netcheck& check, const std::vector<size_t>& steps,
                              const Axes& axes) {
  std::vector<std::vector<double>> ys;
  for (const ReceiverResult& r : check.receivers) ys.push_back(Ys(steps, axes, r));
  std::vector<Overlap> out(ys.size());
  for (size_t i = 0; i < ys.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (out[j].on >= 0 || !Coincide(ys[i], ys[j])) continue;
      out[i].on = static_cast<int>(j);
      out[i].place = out[j].group++;
      break;
    }
  }
  for (Overlap& o : out) {
    if (o.on >= 0) o.group = out[static_cast<size_t>(o.on)].group;
  }
  return out;
}

// The k-th of n coinciding lines draws one dash in every n, at its own
// offset, over the solid first: each colour shows along the line.
std::string Dashes(const Overlap& o) {
  if (o.on < 0) return "";
  const double period = kDashPx * static_cast<double>(o.group);
  return " stroke-dasharray=\"" + N(kDashPx) + " " + N(period - kDashPx) +
         "\" stroke-dashoffset=\"" + N(period - kDashPx * static_cast<double>(o.place)) + "\"";
}

std::string Series(const Netcheck& check, const std::vector<size_t>& steps, const Axes& axes,
                   const ReceiverResult& r, const std::string& color, const Overlap& overlap) {
  std::string points;
  std::string marks;
  for (size_t i : steps) {
    if (i >= r.steps.size()) continue;
    const double x = axes.X(check.steps[i].offered_bits);
    const double y = axes.Y(r.steps[i].loss());
    points += (points.empty() ? "" : " ") + N(x) + "," + N(y);
    marks += "<circle cx=\"" + N(x) + "\" cy=\"" + N(y) + "\" r=\"3.5\" fill=\"" + color + "\"/>\n";
  }
  std::string out = "<g>\n<polyline fill=\"none\" stroke=\"" + color + "\" stroke-width=\"2\"" +
                    Dashes(overlap) + " points=\"" + points + "\"/>\n" + marks;
  const Knee k = FindKnee(check, r);
  for (size_t i : steps) {
    if (!k.found || i >= r.steps.size() || check.steps[i].offered_bits != k.rate_bits) continue;
    const double x = axes.X(k.rate_bits);
    const double y = axes.Y(r.steps[i].loss());
    out += Line(x, y, x, kBottom,
                "stroke=\"" + color + "\" stroke-width=\"1.5\" stroke-dasharray=\"5 4\"");
    out += "<circle cx=\"" + N(x) + "\" cy=\"" + N(y) + "\" r=\"8\" fill=\"none\" stroke=\"" +
           color + "\" stroke-width=\"2\"/>\n";
  }
  return out + "</g>\n";
}

// Per receiver: "node (knee)", and " = other" when its line lies on another's.
std::vector<std::string> LegendLabels(const Netcheck& check, const std::vector<Overlap>& overlaps) {
  std::vector<std::string> labels;
  labels.reserve(check.receivers.size());
  for (size_t i = 0; i < check.receivers.size(); ++i) {
    const ReceiverResult& r = check.receivers[i];
    const Knee k = FindKnee(check, r);
    std::string knee = k.found ? RateText(k.rate_bits) : "none up to " + RateText(k.rate_bits);
    if (k.found && k.rate_bits == 0) knee = "below the lowest rate";
    std::string label = r.node + " (" + knee + ")";
    if (overlaps[i].on >= 0)
      label += " = " + check.receivers[static_cast<size_t>(overlaps[i].on)].node;
    labels.push_back(std::move(label));
  }
  return labels;
}

// Wide enough for the longest label (about 7 px a character at 12 px).
double WidthFor(const std::vector<std::string>& labels) {
  size_t longest = 0;
  for (const std::string& label : labels) longest = std::max(longest, label.size());
  return std::max(kWidth, kLegendText + 7.2 * static_cast<double>(longest) + 12);
}

std::string Legend(const std::vector<std::string>& labels, const std::vector<std::string>& colors,
                   const std::vector<Overlap>& overlaps) {
  std::string out = Text(kRight + 24, kTop + 4, "receiver (knee)", "start");
  for (size_t i = 0; i < labels.size(); ++i) {
    const double y = kTop + 24 + 20 * static_cast<double>(i);
    out += Line(kRight + 24, y - 4, kRight + 44, y - 4,
                "stroke=\"" + colors[i] + "\" stroke-width=\"3\"");
    out += Text(kLegendText, y, labels[i], "start");
  }
  out += Text(kRight + 24, kBottom + 40, "ring: the knee", "start");
  if (std::any_of(overlaps.begin(), overlaps.end(), [](const Overlap& o) { return o.on >= 0; })) {
    out += Text(kRight + 24, kBottom + 56, "a = b: a's line lies on b's", "start");
  }
  return out;
}

}  // namespace

std::string SvgPlot(const Netcheck& check) {
  std::vector<size_t> steps;
  uint64_t low = UINT64_MAX;
  uint64_t high = 0;
  double max_loss = 0;
  for (size_t i = 0; i < check.steps.size(); ++i) {
    if (check.steps[i].jumbo) continue;
    steps.push_back(i);
    low = std::min(low, check.steps[i].offered_bits);
    high = std::max(high, check.steps[i].offered_bits);
    for (const ReceiverResult& r : check.receivers) {
      if (i < r.steps.size()) max_loss = std::max(max_loss, r.steps[i].loss());
    }
  }
  if (steps.empty()) low = high = 1;
  const Axes axes(low, high, max_loss);
  std::vector<std::string> colors;
  for (size_t i = 0; i < check.receivers.size(); ++i) {
    colors.emplace_back(kColors[i % (sizeof(kColors) / sizeof(kColors[0]))]);
  }
  const double height = std::max(kHeight, kTop + 40 + 20 * static_cast<double>(colors.size()));
  const std::vector<Overlap> overlaps = Overlaps(check, steps, axes);
  const std::vector<std::string> labels = LegendLabels(check, overlaps);
  const double width = WidthFor(labels);
  std::string out =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg "
      "xmlns=\"http://www.w3.org/2000/svg\" width=\"" +
      N(width) + "\" height=\"" + N(height) + "\" viewBox=\"0 0 " + N(width) + " " + N(height) +
      "\" font-family=\"sans-serif\" font-size=\"12\">\n"
      "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  out += Frame(check, steps, axes);
  for (size_t i = 0; i < check.receivers.size(); ++i) {
    out += Series(check, steps, axes, check.receivers[i], colors[i], overlaps[i]);
  }
  out += Legend(labels, colors, overlaps);
  return out + "</svg>\n";
}

}  // namespace fleetcast::netcheck
