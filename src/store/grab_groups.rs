//! Grab groups: the orders one grab Book placed, one per alternative date
//! or one per traveller of a party that may travel in part (see
//! `orders::grab_dates` and `orders::grab_party`). Members are ranked (0 is
//! the order that names the group); a party's group also has its minimum.

use super::{Backend, Store, StoreError};
use crate::domain::OrderId;

pub(crate) const ADD_MEMBER: &str = "INSERT INTO grab_group_members \
     (group_id, rank, order_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING";
pub(crate) const GROUP_OF: &str = "SELECT group_id FROM grab_group_members WHERE order_id = $1";
pub(crate) const MEMBERS: &str = "SELECT rank, order_id FROM grab_group_members \
     WHERE group_id = $1 ORDER BY rank";
pub(crate) const ADD_PARTY: &str = "INSERT INTO grab_groups \
     (group_id, min_issued) VALUES ($1, $2) ON CONFLICT DO NOTHING";
pub(crate) const PARTY_MIN: &str = "SELECT min_issued FROM grab_groups WHERE group_id = $1";

impl Store {
    /// Records `order_id` as member `rank` of the grab group named by the
    /// order of rank 0. Recording a member twice is a no-op.
    pub async fn add_grab_group_member(
        &self,
        group: &OrderId,
        rank: u32,
        order_id: &OrderId,
    ) -> Result<(), StoreError> {
        dispatch!(self.add_grab_group_member(group.as_str(), i64::from(rank), order_id.as_str()))
    }

    /// The grab group `order_id` belongs to, if any.
    pub async fn grab_group_of(&self, order_id: &OrderId) -> Result<Option<OrderId>, StoreError> {
        let group = dispatch!(self.grab_group_of(order_id.as_str()))?;
        group.map(|id| parse_order_id(&id)).transpose()
    }

    /// A grab group's members by rank.
    pub async fn grab_group_members(
        &self,
        group: &OrderId,
    ) -> Result<Vec<(u32, OrderId)>, StoreError> {
        let rows = dispatch!(self.grab_group_members(group.as_str()))?;
        rows.into_iter()
            .map(|(rank, id)| {
                let rank = u32::try_from(rank)
                    .map_err(|_| StoreError::Corrupt(format!("grab group rank {rank}")))?;
                Ok((rank, parse_order_id(&id)?))
            })
            .collect()
    }

    /// Marks `group` as a party split into one order per traveller, kept
    /// only while at least `min_issued` can issue. Recording it twice is a
    /// no-op.
    pub async fn add_party_group(
        &self,
        group: &OrderId,
        min_issued: u32,
    ) -> Result<(), StoreError> {
        dispatch!(self.add_party_group(group.as_str(), i64::from(min_issued)))
    }

    /// A party group's minimum; `None` for a group of dates.
    pub async fn party_group_min(&self, group: &OrderId) -> Result<Option<u32>, StoreError> {
        let min = dispatch!(self.party_group_min(group.as_str()))?;
        min.map(|min| {
            u32::try_from(min).map_err(|_| StoreError::Corrupt(format!("party minimum {min}")))
        })
        .transpose()
    }
}

fn parse_order_id(id: &str) -> Result<OrderId, StoreError> {
    OrderId::parse(id).map_err(|error| StoreError::Corrupt(format!("order id {id:?}: {error}")))
}

/// The backend side, the same SQL on both: `grab_group_queries!(SqliteStore)`.
macro_rules! grab_group_queries {
    ($store:ty) => {
        impl $store {
            pub(crate) async fn add_grab_group_member(
                &self,
                group_id: &str,
                rank: i64,
                order_id: &str,
            ) -> Result<(), $crate::store::StoreError> {
                sqlx::query($crate::store::grab_groups::ADD_MEMBER)
                    .bind(group_id)
                    .bind(rank)
                    .bind(order_id)
                    .execute(self.writes())
                    .await?;
                Ok(())
            }

            pub(crate) async fn grab_group_of(
                &self,
                order_id: &str,
            ) -> Result<Option<String>, $crate::store::StoreError> {
                Ok(sqlx::query_scalar($crate::store::grab_groups::GROUP_OF)
                    .bind(order_id)
                    .fetch_optional(&self.pool)
                    .await?)
            }

            pub(crate) async fn grab_group_members(
                &self,
                group_id: &str,
            ) -> Result<Vec<(i64, String)>, $crate::store::StoreError> {
                Ok(sqlx::query_as($crate::store::grab_groups::MEMBERS)
                    .bind(group_id)
                    .fetch_all(&self.pool)
                    .await?)
            }

            pub(crate) async fn add_party_group(
                &self,
                group_id: &str,
                min_issued: i64,
            ) -> Result<(), $crate::store::StoreError> {
                sqlx::query($crate::store::grab_groups::ADD_PARTY)
                    .bind(group_id)
                    .bind(min_issued)
                    .execute(self.writes())
                    .await?;
                Ok(())
            }

            pub(crate) async fn party_group_min(
                &self,
                group_id: &str,
            ) -> Result<Option<i64>, $crate::store::StoreError> {
                let row: Option<Option<i64>> =
                    sqlx::query_scalar($crate::store::grab_groups::PARTY_MIN)
                        .bind(group_id)
                        .fetch_optional(&self.pool)
                        .await?;
                Ok(row.flatten())
            }
        }
    };
}

pub(crate) use grab_group_queries;
