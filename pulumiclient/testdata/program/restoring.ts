import * as aws from '@pulumi/aws';

const db = new aws.rds.Instance('app', {
    engine: 'postgres',
    engineVersion: '16.7',
    skipFinalSnapshot: true,
    snapshotIdentifier: 'after-postgres-update-167', // restore point
    deletionProtection: true,
    maintenanceWindow: 'Mon:00:00-Mon:03:00'
});
