#ifndef DLKIT_SERVICES_TUNER_TUNER_SERVICE_H_
#define DLKIT_SERVICES_TUNER_TUNER_SERVICE_H_

// gRPC edge of the Tuner: translates requests to StudyRegistry calls.

#include "dlkit/v1/tuner.grpc.pb.h"
#include "services/auth/call_authorizer.h"
#include "services/tuner/study_registry.h"

namespace dlkit {

class TunerServiceImpl final : public v1::TunerService::CallbackService {
 public:
  // Every call is checked by `authorizer` (the daemon's Managers send its admin token);
  // without one (unit tests, a dlkit-tuner pod) calls go unchecked.
  void set_authorizer(const auth::CallAuthorizer* authorizer) { authorizer_ = authorizer; }

  grpc::ServerUnaryReactor* Suggest(grpc::CallbackServerContext* context,
                                    const v1::SuggestRequest* request,
                                    v1::SuggestResponse* response) override;
  grpc::ServerUnaryReactor* Assess(grpc::CallbackServerContext* context,
                                   const v1::AssessRequest* request,
                                   v1::AssessResponse* response) override;
  grpc::ServerUnaryReactor* ValidateAlgorithm(grpc::CallbackServerContext* context,
                                              const v1::ValidateAlgorithmRequest* request,
                                              v1::ValidateAlgorithmResponse* response) override;
  grpc::ServerUnaryReactor* ReleaseStudy(grpc::CallbackServerContext* context,
                                         const v1::ReleaseStudyRequest* request,
                                         v1::ReleaseStudyResponse* response) override;

 private:
  const auth::CallAuthorizer* authorizer_ = nullptr;
  StudyRegistry studies_;
};

}  // namespace dlkit

#endif  // DLKIT_SERVICES_TUNER_TUNER_SERVICE_H_
