import { Duration } from "aws-cdk-lib";
import type * as apigwv2 from "aws-cdk-lib/aws-apigatewayv2";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import * as actions from "aws-cdk-lib/aws-cloudwatch-actions";
import * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import * as sns from "aws-cdk-lib/aws-sns";
import * as subscriptions from "aws-cdk-lib/aws-sns-subscriptions";
import { Construct } from "constructs";

/*
 * What an operator is woken up for, all sent to one SNS topic:
 *   - API 5xx rate above 1 % of requests for 3 consecutive 5-minute periods (with at least some traffic);
 *   - any Lambda throttle, and Lambda errors (5 or more in 5 minutes) per function;
 *   - any DynamoDB SystemErrors on a table (AWS side faults, for the operations the gateway uses).
 */

export interface GatewayAlarmsProps {
  readonly api: apigwv2.HttpApi;
  readonly functions: Record<string, lambda.IFunction>;
  readonly tables: Record<string, dynamodb.ITable>;
  readonly email: string | undefined;
}

const FIVE_MINUTES = Duration.minutes(5);
const TABLE_OPERATIONS = [
  dynamodb.Operation.GET_ITEM,
  dynamodb.Operation.PUT_ITEM,
  dynamodb.Operation.UPDATE_ITEM,
  dynamodb.Operation.DELETE_ITEM,
  dynamodb.Operation.QUERY,
  dynamodb.Operation.SCAN,
];

export class GatewayAlarms extends Construct {
  readonly topic: sns.Topic;
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: GatewayAlarmsProps) {
    super(scope, id);
    this.topic = new sns.Topic(this, "Topic", { displayName: "blindgate alarms", enforceSSL: true });
    if (props.email !== undefined)
      this.topic.addSubscription(new subscriptions.EmailSubscription(props.email));
    const notify = new actions.SnsAction(this.topic);
    const add = (alarm: cloudwatch.Alarm) => {
      alarm.addAlarmAction(notify);
      alarm.addOkAction(notify);
      this.alarms.push(alarm);
    };

    const errors5xx = props.api.metricServerError({ period: FIVE_MINUTES, statistic: "Sum" });
    const requests = props.api.metric("Count", { period: FIVE_MINUTES, statistic: "Sum" });
    add(
      new cloudwatch.MathExpression({
        expression: "IF(requests >= 20, 100 * errors / requests, 0)",
        usingMetrics: { errors: errors5xx, requests },
        period: FIVE_MINUTES,
        label: "API 5xx rate (%)",
      }).createAlarm(this, "Api5xxRate", {
        alarmDescription: "blindgate API: more than 1% of requests answered 5xx",
        threshold: 1,
        evaluationPeriods: 3,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    );

    for (const [name, fn] of Object.entries(props.functions)) {
      add(
        fn.metricThrottles({ period: FIVE_MINUTES, statistic: "Sum" }).createAlarm(this, `${name}Throttles`, {
          alarmDescription: `blindgate ${name}: Lambda throttles`,
          threshold: 1,
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
      );
      add(
        fn.metricErrors({ period: FIVE_MINUTES, statistic: "Sum" }).createAlarm(this, `${name}Errors`, {
          alarmDescription: `blindgate ${name}: Lambda errors (uncaught exceptions, timeouts)`,
          threshold: 5,
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
      );
    }

    for (const [name, table] of Object.entries(props.tables)) {
      add(
        new cloudwatch.Alarm(this, `${name}SystemErrors`, {
          metric: table.metricSystemErrorsForOperations({
            operations: TABLE_OPERATIONS,
            period: FIVE_MINUTES,
          }),
          alarmDescription: `blindgate ${name} table: DynamoDB system errors`,
          threshold: 1,
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
      );
    }
  }
}
