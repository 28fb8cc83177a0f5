#include "services/auth/access.h"

#include <catch2/catch.hpp>

#include "dlkit/v1/launcher.grpc.pb.h"
#include "dlkit/v1/manager.grpc.pb.h"
#include "dlkit/v1/reporter.grpc.pb.h"
#include "dlkit/v1/tuner.grpc.pb.h"
#include "google/protobuf/descriptor.h"

namespace dlkit::auth {
namespace {

TEST_CASE("every method of every dlkit service has an access rule") {
  int methods = 0;
  for (const char* name : {"dlkit.v1.LauncherService", "dlkit.v1.ManagerService",
                           "dlkit.v1.TunerService", "dlkit.v1.ReporterService"}) {
    const auto* service =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(name);
    REQUIRE(service != nullptr);
    for (int i = 0; i < service->method_count(); ++i) {
      INFO(service->method(i)->full_name());
      CHECK(AccessFor(absl::StrCat(name, "/", service->method(i)->name())).ok());
      ++methods;
    }
  }
  CHECK(methods >= 35);
}

TEST_CASE("reading needs read, changing needs write, the daemon needs admin") {
  CHECK(AccessFor("/dlkit.v1.LauncherService/ListExperiments")->role == Role::kRead);
  CHECK(AccessFor("dlkit.v1.LauncherService/SubmitExperiment")->role == Role::kWrite);
  CHECK(AccessFor("dlkit.v1.ManagerService/KillTrial")->role == Role::kWrite);
  CHECK(AccessFor("dlkit.v1.LauncherService/ShutdownDaemon")->role == Role::kAdmin);
  CHECK(AccessFor("dlkit.v1.ManagerService/TrialSession")->own_credential);
  CHECK_FALSE(AccessFor("dlkit.v1.ManagerService/Nope").ok());
}

TEST_CASE("roles parse from their names only") {
  CHECK(*ParseRole("read") == Role::kRead);
  CHECK(*ParseRole("admin") == Role::kAdmin);
  CHECK(ParseRole("root").status().message().find("admin, write, read") != std::string::npos);
}

}  // namespace
}  // namespace dlkit::auth
