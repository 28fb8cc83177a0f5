#include "cli/table.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace dlkit::cli {
namespace {

std::string PadTo(absl::string_view text, size_t width, Align align) {
  size_t w = DisplayWidth(text);
  if (w >= width) return std::string(text);
  std::string pad(width - w, ' ');
  return align == Align::kLeft ? absl::StrCat(text, pad) : absl::StrCat(pad, text);
}

}  // namespace

size_t DisplayWidth(absl::string_view utf8) {
  size_t width = 0;
  for (unsigned char c : utf8) {
    if ((c & 0xC0) != 0x80) ++width;  // count lead bytes only
  }
  return width;
}

std::string Truncate(absl::string_view text, size_t width) {
  if (DisplayWidth(text) <= width) return std::string(text);
  if (width == 0) return "";
  std::string out;
  size_t cols = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    unsigned char c = text[i];
    if ((c & 0xC0) != 0x80) {
      if (cols == width - 1) break;
      ++cols;
    }
    out.push_back(text[i]);
  }
  return absl::StrCat(out, "…");
}

std::string RenderTable(const std::vector<TableColumn>& columns,
                        const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths(columns.size());
  for (size_t c = 0; c < columns.size(); ++c) widths[c] = DisplayWidth(columns[c].header);
  for (const auto& row : rows) {
    for (size_t c = 0; c < columns.size() && c < row.size(); ++c) {
      widths[c] = std::max(widths[c], DisplayWidth(row[c]));
    }
  }
  auto render_row = [&](auto cell_at) {
    std::string line;
    for (size_t c = 0; c < columns.size(); ++c) {
      if (c > 0) line += "  ";
      // The last left-aligned column needs no padding (no trailing blanks).
      bool last = c + 1 == columns.size();
      if (last && columns[c].align == Align::kLeft) {
        line += cell_at(c);
      } else {
        line += PadTo(cell_at(c), widths[c], columns[c].align);
      }
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    return line + "\n";
  };
  std::string out = render_row([&](size_t c) { return columns[c].header; });
  for (const auto& row : rows) {
    out += render_row([&](size_t c) { return c < row.size() ? row[c] : std::string(); });
  }
  return out;
}

std::string RenderKeyValues(const std::vector<std::pair<std::string, std::string>>& items) {
  size_t width = 0;
  for (const auto& [key, value] : items) width = std::max(width, DisplayWidth(key) + 1);
  std::string out;
  for (const auto& [key, value] : items) {
    std::string line =
        absl::StrCat(PadTo(absl::StrCat(key, ":"), width, Align::kLeft), "  ", value);
    while (!line.empty() && line.back() == ' ') line.pop_back();
    absl::StrAppend(&out, line, "\n");
  }
  return out;
}

}  // namespace dlkit::cli
