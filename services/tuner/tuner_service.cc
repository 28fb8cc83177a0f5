#include "services/tuner/tuner_service.h"

#include "services/common/unary_reactor.h"

namespace dlkit {

grpc::ServerUnaryReactor* TunerServiceImpl::Suggest(grpc::CallbackServerContext* context,
                                                    const v1::SuggestRequest* request,
                                                    v1::SuggestResponse* response) {
  if (auto* refused = auth::RefuseUnary(authorizer_, context, "dlkit.v1.TunerService/Suggest")) {
    return refused;
  }
  return FinishUnary(context, studies_.Suggest(*request), response);
}

grpc::ServerUnaryReactor* TunerServiceImpl::Assess(grpc::CallbackServerContext* context,
                                                   const v1::AssessRequest* request,
                                                   v1::AssessResponse* response) {
  if (auto* refused = auth::RefuseUnary(authorizer_, context, "dlkit.v1.TunerService/Assess")) {
    return refused;
  }
  return FinishUnary(context, studies_.Assess(*request), response);
}

grpc::ServerUnaryReactor* TunerServiceImpl::ValidateAlgorithm(
    grpc::CallbackServerContext* context, const v1::ValidateAlgorithmRequest* request,
    v1::ValidateAlgorithmResponse* /*response*/) {
  if (auto* refused =
          auth::RefuseUnary(authorizer_, context, "dlkit.v1.TunerService/ValidateAlgorithm")) {
    return refused;
  }
  return FinishUnary(context, studies_.Validate(request->config()));
}

grpc::ServerUnaryReactor* TunerServiceImpl::ReleaseStudy(grpc::CallbackServerContext* context,
                                                         const v1::ReleaseStudyRequest* request,
                                                         v1::ReleaseStudyResponse* /*response*/) {
  if (auto* refused =
          auth::RefuseUnary(authorizer_, context, "dlkit.v1.TunerService/ReleaseStudy")) {
    return refused;
  }
  studies_.Release(request->experiment_id());
  return FinishUnary(context, absl::OkStatus());
}

}  // namespace dlkit
