#ifndef DLKIT_CLI_WATCH_H_
#define DLKIT_CLI_WATCH_H_

// The pieces of `submit --watch`: the experiment as the WatchExperiment stream builds it,
// and the two ways of showing it (a block redrawn in place on a terminal, one progress
// line per change otherwise). RunWatch (commands.h) drives them.

#include <map>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "dlkit/v1/manager.pb.h"
#include "dlkit/v1/types.pb.h"

namespace dlkit::cli {

// What the watcher knows of the experiment so far.
class WatchModel {
 public:
  // A snapshot replaces everything; later messages update the experiment, upsert trials
  // and apply metric events. `received` is when the message arrived (for elapsed time).
  void Apply(const v1::WatchExperimentResponse& response, absl::Time received);
  // The Manager's messages carry no dashboard link; the Launcher's answer had it.
  void set_dashboard_url(std::string url) { dashboard_url_ = std::move(url); }

  bool has_experiment() const { return has_experiment_; }
  const v1::Experiment& experiment() const { return experiment_; }
  absl::Time received() const { return received_; }
  std::vector<v1::Trial> Trials() const;  // by index
  const v1::Trial* FindTrial(const std::string& id) const;

 private:
  // Counts and best from the trials, for messages that carry trials but no experiment.
  void Recount();

  bool has_experiment_ = false;
  v1::Experiment experiment_;
  absl::Time received_ = absl::UnixEpoch();
  std::map<std::string, v1::Trial> trials_;
  std::string dashboard_url_;
};

class WatchDisplay {
 public:
  virtual ~WatchDisplay() = default;
  // Called on every change and about once a second; shows the model if it should.
  virtual void Show(const WatchModel& model, absl::Time now, bool changed) = 0;
  // Called once at the end: make sure the last state is on screen.
  virtual void Finish(const WatchModel& model, absl::Time now) = 0;
};

// Redraws the watch block in place with ANSI cursor movement; lines are cut to `width`.
class TtyWatchDisplay : public WatchDisplay {
 public:
  TtyWatchDisplay(std::ostream& out, int width) : out_(out), width_(width) {}
  void Show(const WatchModel& model, absl::Time now, bool changed) override;
  void Finish(const WatchModel& model, absl::Time now) override;

 private:
  void Draw(const WatchModel& model, absl::Time now);

  std::ostream& out_;
  int width_;
  int lines_drawn_ = 0;
  absl::Time last_draw_ = absl::InfinitePast();
  bool pending_ = false;
};

// One progress line whenever it changes (elapsed time alone is no change), at most one
// a second; the last state is always printed at the end.
class LineWatchDisplay : public WatchDisplay {
 public:
  explicit LineWatchDisplay(std::ostream& out) : out_(out) {}
  void Show(const WatchModel& model, absl::Time now, bool changed) override;
  void Finish(const WatchModel& model, absl::Time now) override;

 private:
  void Print(const WatchModel& model, absl::Time now);

  std::ostream& out_;
  std::string last_key_;
  absl::Time last_print_ = absl::InfinitePast();
};

// The line LineWatchDisplay prints (progress line of the model at `now`).
std::string ProgressLineOf(const WatchModel& model, absl::Time now);

}  // namespace dlkit::cli

#endif  // DLKIT_CLI_WATCH_H_
