//! `railgate.v1.AccountService`: 12306 account operations. Not provided yet;
//! every RPC answers UNIMPLEMENTED naming the capability.

use super::status::ApiError;
use crate::proto as pb;
use crate::proto::account_service_server::AccountService;
use tonic::{Request, Response, Status};

const CAPABILITY: &str = "12306 account management";

/// The AccountService implementation.
#[derive(Debug, Default, Clone)]
pub struct AccountApi;

fn unimplemented<T>(rpc: &'static str) -> Result<Response<T>, Status> {
    Err(ApiError::Unimplemented {
        rpc,
        capability: CAPABILITY,
    }
    .into())
}

#[tonic::async_trait]
impl AccountService for AccountApi {
    async fn check_login(
        &self,
        _request: Request<pb::CheckLoginRequest>,
    ) -> Result<Response<pb::CheckLoginResponse>, Status> {
        unimplemented("CheckLogin")
    }

    async fn verify_sms(
        &self,
        _request: Request<pb::VerifySmsRequest>,
    ) -> Result<Response<pb::VerifySmsResponse>, Status> {
        unimplemented("VerifySms")
    }

    async fn list_frequent_passengers(
        &self,
        _request: Request<pb::ListFrequentPassengersRequest>,
    ) -> Result<Response<pb::ListFrequentPassengersResponse>, Status> {
        unimplemented("ListFrequentPassengers")
    }

    async fn upsert_frequent_passenger(
        &self,
        _request: Request<pb::UpsertFrequentPassengerRequest>,
    ) -> Result<Response<pb::UpsertFrequentPassengerResponse>, Status> {
        unimplemented("UpsertFrequentPassenger")
    }

    async fn delete_frequent_passenger(
        &self,
        _request: Request<pb::DeleteFrequentPassengerRequest>,
    ) -> Result<Response<pb::DeleteFrequentPassengerResponse>, Status> {
        unimplemented("DeleteFrequentPassenger")
    }
}
