#!/usr/bin/env bash
# AWS CLI v2 conformance: runs the official CLI (/usr/bin/aws, Debian's awscli)
# against the RDS simulator and checks what it prints and its exit status.
# The simulator runs 2000 times real time, so every `aws rds wait` succeeds on
# its first poll (the CLI would otherwise sleep 30 s between polls).
# Usage: scripts/awscli-conformance.sh   (from anywhere; needs go and /usr/bin/aws)
set -uo pipefail

AWS_BIN=${AWS_BIN:-/usr/bin/aws}
SPEED=${SIM_SPEED:-2000}
root=$(cd "$(dirname "$0")/.." && pwd)

if [ ! -x "$AWS_BIN" ]; then
	echo "awscli-conformance: $AWS_BIN is missing: scripts/test.sh installs it (apt-get install -y awscli)" >&2
	exit 2
fi

work=$(mktemp -d)
sim_pid=""
sim10_pid=""
cleanup() {
	if [ -n "$sim_pid" ]; then kill "$sim_pid" 2>/dev/null; wait "$sim_pid" 2>/dev/null; fi
	if [ -n "$sim10_pid" ]; then kill "$sim10_pid" 2>/dev/null; wait "$sim10_pid" 2>/dev/null; fi
	rm -rf "$work"
}
trap cleanup EXIT

(cd "$root" && go build -o "$work/rdssim-serve" ./awsclient/rdssim/cmd/rdssim-serve) || {
	echo "awscli-conformance: building the simulator failed" >&2
	exit 1
}
"$work/rdssim-serve" --addr 127.0.0.1:0 --speed "$SPEED" --addr-file "$work/addr" >"$work/sim.log" 2>&1 &
sim_pid=$!
for _ in $(seq 100); do
	[ -s "$work/addr" ] && break
	sleep 0.1
done
if [ ! -s "$work/addr" ]; then
	echo "awscli-conformance: the simulator did not start:" >&2
	cat "$work/sim.log" >&2
	exit 1
fi
addr=$(cat "$work/addr")

# Dummy credentials, no user configuration, no pager.
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL AWS_ENDPOINT_URL_RDS AWS_ENDPOINT_URL_STS
export AWS_ACCESS_KEY_ID=AKIDCONFORMANCE0001 AWS_SECRET_ACCESS_KEY=dummy-secret
export AWS_CONFIG_FILE="$work/no-config" AWS_SHARED_CREDENTIALS_FILE="$work/no-credentials"
export AWS_PAGER="" AWS_DEFAULT_OUTPUT=json

fails=0
checks=0
aws() { "$AWS_BIN" --endpoint-url "http://$addr" --region eu-west-2 "$@"; }

# expect NAME WANT GOT
expect() {
	checks=$((checks + 1))
	if [ "$2" == "$3" ]; then
		echo "ok   $1"
	else
		fails=$((fails + 1))
		printf 'FAIL %s\n  want: %q\n  got:  %q\n' "$1" "$2" "$3"
	fi
}

# expect_contains NAME NEEDLE HAYSTACK
expect_contains() {
	checks=$((checks + 1))
	if [[ "$3" == *"$2"* ]]; then
		echo "ok   $1"
	else
		fails=$((fails + 1))
		printf 'FAIL %s\n  want to contain: %q\n  got: %q\n' "$1" "$2" "$3"
	fi
}

# run NAME ARGS...: a command that must succeed; its stdout goes to $out.
run() {
	local name=$1
	shift
	out=$(aws "$@" 2>"$work/err")
	local rc=$?
	expect "$name exits 0" 0 "$rc"
	[ "$rc" == 0 ] || cat "$work/err"
}

# fail_with NAME CODE ARGS...: a command that must fail with RDS error CODE.
fail_with() {
	local name=$1 code=$2
	shift 2
	aws "$@" >/dev/null 2>"$work/err"
	local rc=$?
	expect "$name exits 254" 254 "$rc"
	expect_contains "$name reports $code" "An error occurred ($code)" "$(cat "$work/err")"
}

old=app5ec7032
host=c9akciq32x1z.eu-west-2.rds.amazonaws.com

run "sts get-caller-identity" sts get-caller-identity --query Arn --output text
expect "caller ARN" "arn:aws:iam::123456789012:user/planx-staging-pulumi" "$out"

run "describe-db-instances" rds describe-db-instances \
	--query "DBInstances[?DBInstanceIdentifier=='$old'].[DBInstanceStatus,EngineVersion,Endpoint.Address,DBParameterGroups[0].DBParameterGroupName]" --output text
expect "instance status, version, address, parameter group" "$(printf 'available\t16.13\t%s.%s\tpostgres16-force-ssl-off' "$old" "$host")" "$out"

run "describe-db-snapshots" rds describe-db-snapshots --db-instance-identifier "$old" \
	--query "[length(DBSnapshots[?SnapshotType=='automated']), length(DBSnapshots[?SnapshotType=='manual'])]" --output text
expect "7 automated and 2 manual snapshots" "$(printf '7\t2')" "$out"

run "create-db-snapshot" rds create-db-snapshot --db-instance-identifier "$old" --db-snapshot-identifier conformance-snap \
	--query 'DBSnapshot.[Status,SnapshotType]' --output text
expect "new snapshot is creating" "$(printf 'creating\tmanual')" "$out"

run "wait db-snapshot-available" rds wait db-snapshot-available --db-snapshot-identifier conformance-snap

run "restore-db-instance-from-db-snapshot" rds restore-db-instance-from-db-snapshot \
	--db-instance-identifier app5ec7032-restored --db-snapshot-identifier conformance-snap \
	--db-instance-class db.t3.small --db-parameter-group-name postgres16-force-ssl-off \
	--vpc-security-group-ids sg-0a1b2c3d4e5f60718 --db-subnet-group-name data-db-subnet-group-3f9a1c2 \
	--no-multi-az --publicly-accessible --storage-type gp3 --no-deletion-protection \
	--tags Key=restored-from,Value=conformance-snap \
	--query 'DBInstance.[DBInstanceStatus,Endpoint.Address]' --output text
expect "restored instance is creating, no address yet" "$(printf 'creating\tNone')" "$out"

run "wait db-instance-available (restore)" rds wait db-instance-available --db-instance-identifier app5ec7032-restored
run "describe the restored instance" rds describe-db-instances --db-instance-identifier app5ec7032-restored \
	--query 'DBInstances[0].[DBInstanceStatus,DBParameterGroups[0].DBParameterGroupName,VpcSecurityGroups[0].VpcSecurityGroupId,DBSubnetGroup.DBSubnetGroupName,MultiAZ,PubliclyAccessible,DBInstanceClass]' --output text
expect "restore honoured every explicit setting" \
	"$(printf 'available\tpostgres16-force-ssl-off\tsg-0a1b2c3d4e5f60718\tdata-db-subnet-group-3f9a1c2\tFalse\tTrue\tdb.t3.small')" "$out"

run "rename the old instance away" rds modify-db-instance --db-instance-identifier "$old" \
	--new-db-instance-identifier "$old-original" --apply-immediately \
	--query 'DBInstance.[DBInstanceStatus,PendingModifiedValues.DBInstanceIdentifier]' --output text
expect "old instance is renaming" "$(printf 'renaming\t%s' "$old-original")" "$out"
run "wait db-instance-available (old, renamed)" rds wait db-instance-available --db-instance-identifier "$old-original"

run "rename the restored instance to the old name" rds modify-db-instance --db-instance-identifier app5ec7032-restored \
	--new-db-instance-identifier "$old" --apply-immediately --query 'DBInstance.DBInstanceStatus' --output text
expect "restored instance is renaming" renaming "$out"
run "wait db-instance-available (restored, renamed)" rds wait db-instance-available --db-instance-identifier "$old"
run "describe the renamed instance" rds describe-db-instances --db-instance-identifier "$old" \
	--query 'DBInstances[0].[Endpoint.Address,TagList[0].Value]' --output text
expect "renamed instance has the old address" "$(printf '%s.%s\tconformance-snap' "$old" "$host")" "$out"

run "describe-db-engine-versions" rds describe-db-engine-versions --engine postgres --engine-version 16.13 \
	--query 'DBEngineVersions[].ValidUpgradeTarget[?IsMajorVersionUpgrade].EngineVersion' --output text
expect "major upgrade targets of 16.13" "$(printf '17.6\t17.7')" "$out"

run "describe-events" rds describe-events --source-type db-instance --source-identifier "$old" --duration 10080 \
	--query 'Events[].Message' --output text
expect_contains "events of the renamed instance" "Renamed instance from app5ec7032-restored to app5ec7032." "$out"

# Parameter groups and their families (what a major upgrade needs).
run "describe-db-parameter-groups" rds describe-db-parameter-groups --db-parameter-group-name postgres16-force-ssl-off \
	--query 'DBParameterGroups[0].DBParameterGroupFamily' --output text
expect "the custom group's family" postgres16 "$out"
run "describe-db-parameters --source user" rds describe-db-parameters --db-parameter-group-name postgres16-force-ssl-off --source user \
	--query 'Parameters[].[ParameterName,ParameterValue]' --output text
expect "the values the custom group sets itself" "$(printf 'rds.force_ssl\t0\nshared_preload_libraries\tpg_tle,pg_stat_statements,pg_cron')" "$out"
run "describe-engine-default-parameters (postgres16)" rds describe-engine-default-parameters --db-parameter-group-family postgres16 \
	--query "length(EngineDefaults.Parameters[?ParameterName=='old_snapshot_threshold'])" --output text
expect "postgres16 has old_snapshot_threshold" 1 "$out"
run "describe-engine-default-parameters (postgres17)" rds describe-engine-default-parameters --db-parameter-group-family postgres17 \
	--query "length(EngineDefaults.Parameters[?ParameterName=='old_snapshot_threshold'])" --output text
expect "postgres17 no longer has old_snapshot_threshold" 0 "$out"
run "create-db-parameter-group (postgres17)" rds create-db-parameter-group --db-parameter-group-name postgres17-force-ssl-off \
	--db-parameter-group-family postgres17 --description "rds.force_ssl off" --query 'DBParameterGroup.DBParameterGroupFamily' --output text
expect "the new group's family" postgres17 "$out"
run "modify-db-parameter-group" rds modify-db-parameter-group --db-parameter-group-name postgres17-force-ssl-off \
	--parameters ParameterName=rds.force_ssl,ParameterValue=0,ApplyMethod=immediate --query DBParameterGroupName --output text
expect "modified group" postgres17-force-ssl-off "$out"
fail_with "a parameter postgres17 does not have" InvalidParameterValue rds modify-db-parameter-group --db-parameter-group-name postgres17-force-ssl-off \
	--parameters ParameterName=old_snapshot_threshold,ParameterValue=60,ApplyMethod=pending-reboot

# Database log files, as RDS for PostgreSQL names them.
run "describe-db-log-files" rds describe-db-log-files --db-instance-identifier "$old-original" \
	--query "length(DescribeDBLogFiles[?starts_with(LogFileName, 'error/postgresql.log.')]) >= \`72\`" --output text
expect "hourly server logs of the last 3 days" True "$out"
newest=$(aws rds describe-db-log-files --db-instance-identifier "$old-original" --query 'DescribeDBLogFiles[-1].LogFileName' --output text)
run "download-db-log-file-portion (whole file)" rds download-db-log-file-portion --db-instance-identifier "$old-original" \
	--log-file-name "$newest" --starting-token 0 --output text
expect_contains "the server log has RDS's line prefix" "UTC::@:[" "$out"
run "download-db-log-file-portion (one line)" rds download-db-log-file-portion --db-instance-identifier "$old-original" \
	--log-file-name "$newest" --marker 0 --number-of-lines 1 --no-paginate --query '[AdditionalDataPending]' --output text
expect "more lines pending after the first" True "$out"
fail_with "a log file that does not exist" DBLogFileNotFoundFault rds download-db-log-file-portion --db-instance-identifier "$old" \
	--log-file-name error/postgresql.log.1999-01-01-00

# Point-in-time restore and automated backups.
run "describe-db-instance-automated-backups" rds describe-db-instance-automated-backups --db-instance-identifier "$old-original" \
	--query 'DBInstanceAutomatedBackups[0].[Status,BackupRetentionPeriod,RestoreWindow.EarliestTime < RestoreWindow.LatestTime]' --output text
expect "an active automated backup with a window" "$(printf 'active\t1\tTrue')" "$out"
run "restore-db-instance-to-point-in-time" rds restore-db-instance-to-point-in-time --source-db-instance-identifier "$old-original" \
	--target-db-instance-identifier app5ec7032-pitr --use-latest-restorable-time --db-parameter-group-name postgres16-force-ssl-off \
	--vpc-security-group-ids sg-0a1b2c3d4e5f60718 --db-subnet-group-name data-db-subnet-group-3f9a1c2 --no-multi-az \
	--query 'DBInstance.DBInstanceStatus' --output text
expect "the point-in-time restore is creating" creating "$out"
run "wait db-instance-available (point in time)" rds wait db-instance-available --db-instance-identifier app5ec7032-pitr
run "describe-events (point in time)" rds describe-events --source-type db-instance --source-identifier app5ec7032-pitr --duration 10080 \
	--query 'Events[].Message' --output text
expect_contains "recorded as a point-in-time restore" "Restored from DB instance $old-original to app5ec7032-pitr." "$out"
fail_with "a restore time outside the window" InvalidRestoreFault rds restore-db-instance-to-point-in-time --source-db-instance-identifier "$old-original" \
	--target-db-instance-identifier app5ec7032-pitr2 --restore-time 2001-01-01T00:00:00Z
fail_with "a point-in-time restore onto an existing name" DBInstanceAlreadyExists rds restore-db-instance-to-point-in-time --source-db-instance-identifier "$old-original" \
	--target-db-instance-identifier app5ec7032-pitr --use-latest-restorable-time
fail_with "a point-in-time restore of a missing instance" DBInstanceNotFound rds restore-db-instance-to-point-in-time --source-db-instance-identifier no-such-instance \
	--target-db-instance-identifier app5ec7032-pitr3 --use-latest-restorable-time
run "delete keeping the automated backups" rds delete-db-instance --db-instance-identifier app5ec7032-pitr --skip-final-snapshot \
	--no-delete-automated-backups --query 'DBInstance.DBInstanceStatus' --output text
run "wait db-instance-deleted" rds wait db-instance-deleted --db-instance-identifier app5ec7032-pitr
run "describe-db-instance-automated-backups (retained)" rds describe-db-instance-automated-backups --filters Name=status,Values=retained \
	--query 'DBInstanceAutomatedBackups[].DBInstanceIdentifier' --output text
expect "the deleted instance's backups are retained" app5ec7032-pitr "$out"
run "describe-db-instances LatestRestorableTime" rds describe-db-instances --db-instance-identifier "$old-original" \
	--query 'DBInstances[0].LatestRestorableTime' --output text
expect_contains "a live instance has a latest restorable time" "T" "$out"
run "the retained backup's resource id" rds describe-db-instance-automated-backups --db-instance-identifier app5ec7032-pitr \
	--query 'DBInstanceAutomatedBackups[0].DbiResourceId' --output text
retained_id=$out
run "restore-db-instance-to-point-in-time (a deleted instance, by resource id)" rds restore-db-instance-to-point-in-time \
	--source-dbi-resource-id "$retained_id" --target-db-instance-identifier app5ec7032-pitr4 --use-latest-restorable-time \
	--query 'DBInstance.DBInstanceStatus' --output text
expect "the restore of the deleted instance is creating" creating "$out"
run "wait db-instance-available (from retained backups)" rds wait db-instance-available --db-instance-identifier app5ec7032-pitr4
run "describe-events (from retained backups)" rds describe-events --source-type db-instance --source-identifier app5ec7032-pitr4 --duration 10080 \
	--query 'Events[].Message' --output text
expect_contains "recorded as a point-in-time restore of the deleted instance" "Restored from DB instance app5ec7032-pitr to app5ec7032-pitr4." "$out"
fail_with "a point-in-time restore by an unknown resource id" DBInstanceAutomatedBackupNotFound rds restore-db-instance-to-point-in-time \
	--source-dbi-resource-id db-NOSUCHRESOURCE000000000000 --target-db-instance-identifier app5ec7032-pitr5 --use-latest-restorable-time

# A major upgrade needs a parameter group of the target family.
fail_with "major upgrade keeping the custom postgres16 group" InvalidParameterCombination rds modify-db-instance \
	--db-instance-identifier "$old-original" --engine-version 17.6 --allow-major-version-upgrade --apply-immediately
run "major upgrade with a postgres17 group" rds modify-db-instance --db-instance-identifier "$old-original" --engine-version 17.6 \
	--allow-major-version-upgrade --apply-immediately --db-parameter-group-name postgres17-force-ssl-off \
	--query 'DBInstance.[DBInstanceStatus,PendingModifiedValues.EngineVersion]' --output text
expect "upgrading to 17.6" "$(printf 'upgrading\t17.6')" "$out"
run "wait db-instance-available (upgrade)" rds wait db-instance-available --db-instance-identifier "$old-original"
run "describe the upgraded instance" rds describe-db-instances --db-instance-identifier "$old-original" \
	--query 'DBInstances[0].[EngineVersion,DBParameterGroups[0].DBParameterGroupName,DBParameterGroups[0].ParameterApplyStatus]' --output text
expect "on 17.6 with the postgres17 group, in-sync" "$(printf '17.6\tpostgres17-force-ssl-off\tin-sync')" "$out"

fail_with "describe a missing instance" DBInstanceNotFound rds describe-db-instances --db-instance-identifier no-such-instance
fail_with "invalid snapshot name" InvalidParameterValue rds create-db-snapshot --db-instance-identifier "$old" --db-snapshot-identifier "bad--name"
fail_with "final snapshot name taken" DBSnapshotAlreadyExists rds delete-db-instance --db-instance-identifier "$old" --final-db-snapshot-identifier conformance-snap

# A renamed-away identifier stays refused for a few minutes, as on AWS. At
# 2000 times real time every CLI start-up is half an hour of simulated time,
# so this runs against a second simulator at 10 times real time (in the
# upgrade-precheck-fails world, for the pending maintenance below).
"$work/rdssim-serve" --addr 127.0.0.1:0 --speed 10 --scenario upgrade-precheck-fails --addr-file "$work/addr10" >"$work/sim10.log" 2>&1 &
sim10_pid=$!
for _ in $(seq 100); do
	[ -s "$work/addr10" ] && break
	sleep 0.1
done
addr_fast=$addr
addr=$(cat "$work/addr10")
run "rename at 10x" rds modify-db-instance --db-instance-identifier "$old" --new-db-instance-identifier "$old-away" \
	--apply-immediately --query 'DBInstance.DBInstanceStatus' --output text
sleep 6 # past the switch (45 s simulated): the new name answers, the old one is free of any instance
fail_with "the renamed-away name is still refused" DBInstanceAlreadyExists rds create-db-instance --db-instance-identifier "$old" \
	--db-instance-class db.t3.small --engine postgres --master-username dbuser --master-user-password conformance-pw --allocated-storage 20
# Pending maintenance of several kinds, opt-in types and CurrentApplyDate.
arn=arn:aws:rds:eu-west-2:123456789012:db:$old-away
run "describe-pending-maintenance-actions" rds describe-pending-maintenance-actions --resource-identifier "$arn" \
	--query 'PendingMaintenanceActions[0].PendingMaintenanceActionDetails[].Action' --output text
expect "two kinds pending" "$(printf 'system-update\thardware-maintenance')" "$out"
run "apply-pending-maintenance-action next-maintenance" rds apply-pending-maintenance-action --resource-identifier "$arn" \
	--apply-action system-update --opt-in-type next-maintenance \
	--query "ResourcePendingMaintenanceActions.PendingMaintenanceActionDetails[?Action=='system-update'].[OptInStatus,CurrentApplyDate]" --output text
expect_contains "scheduled for the next window (Monday 00:00)" "next-maintenance" "$out"
expect_contains "at the window's start" "T00:00:00" "$out"
run "apply-pending-maintenance-action undo-opt-in" rds apply-pending-maintenance-action --resource-identifier "$arn" \
	--apply-action system-update --opt-in-type undo-opt-in \
	--query "ResourcePendingMaintenanceActions.PendingMaintenanceActionDetails[?Action=='system-update'].OptInStatus" --output text
expect "opt-in undone" "" "$out"
fail_with "an action that is not pending" InvalidParameterValue rds apply-pending-maintenance-action --resource-identifier "$arn" \
	--apply-action db-upgrade --opt-in-type immediate

kill "$sim10_pid" 2>/dev/null
wait "$sim10_pid" 2>/dev/null
sim10_pid=""
addr=$addr_fast

echo "$checks checks, $fails failed"
[ "$fails" == 0 ]
