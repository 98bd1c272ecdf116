import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { DockerImage, Duration, RemovalPolicy } from "aws-cdk-lib";
import * as cloudfront from "aws-cdk-lib/aws-cloudfront";
import * as origins from "aws-cdk-lib/aws-cloudfront-origins";
import * as s3 from "aws-cdk-lib/aws-s3";
import * as s3deploy from "aws-cdk-lib/aws-s3-deployment";
import { Construct } from "constructs";
import { walletCsp } from "../../wallet/headers.js";
import { REPO_ROOT } from "./bundling.js";

/*
 * The wallet's static pages: a private S3 bucket read by CloudFront through Origin Access Control, served with
 * the same security headers as in local mode (wallet/headers.ts):
 *
 *   CSP             default-src 'self'; connect-src 'self' <gateway origin>; ... frame-ancestors 'none'
 *   Referrer-Policy no-referrer      (the wallet never tells the gateway or a provider where it was opened from)
 *   HSTS, X-Content-Type-Options: nosniff, X-Frame-Options: DENY, Cross-Origin-Resource-Policy: same-origin
 *
 * `config.json` (gateway URL and issuer name, as in local mode) is written next to the pages at deploy time.
 */

export interface WalletHostingProps {
  /** The wallet's source directory. With a build.ts exporting buildWallet(outDir) it is built at synth. */
  readonly walletDir: string;
  /** Origin of the gateway API (https://host), the only other origin the wallet may connect to. */
  readonly gatewayOrigin: string;
  readonly gatewayUrl: string;
  readonly issuerName: string;
  readonly protectData: boolean;
}

export class WalletHosting extends Construct {
  readonly bucket: s3.Bucket;
  readonly distribution: cloudfront.Distribution;
  readonly headers: cloudfront.ResponseHeadersPolicy;
  /** https://<distribution domain> */
  readonly origin: string;

  constructor(scope: Construct, id: string, props: WalletHostingProps) {
    super(scope, id);
    this.bucket = new s3.Bucket(this, "Bucket", {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      encryption: s3.BucketEncryption.S3_MANAGED,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: props.protectData,
      removalPolicy: props.protectData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      autoDeleteObjects: !props.protectData,
    });
    this.headers = new cloudfront.ResponseHeadersPolicy(this, "Headers", {
      comment: "blindgate wallet: strict CSP, no referrer",
      securityHeadersBehavior: {
        contentSecurityPolicy: { contentSecurityPolicy: walletCsp(props.gatewayOrigin), override: true },
        referrerPolicy: { referrerPolicy: cloudfront.HeadersReferrerPolicy.NO_REFERRER, override: true },
        strictTransportSecurity: {
          accessControlMaxAge: Duration.days(730),
          includeSubdomains: true,
          override: true,
        },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
      },
      customHeadersBehavior: {
        customHeaders: [
          { header: "Cross-Origin-Resource-Policy", value: "same-origin", override: true },
          // Browsers revalidate every page (a 304 from the edge), so a deployed fix reaches every wallet at once;
          // CloudFront itself keeps its copy until the deployment invalidates it.
          { header: "Cache-Control", value: "no-cache", override: true },
        ],
      },
      removeHeaders: ["Server"],
    });
    this.distribution = new cloudfront.Distribution(this, "Cdn", {
      comment: "blindgate wallet",
      defaultRootObject: "index.html",
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      priceClass: cloudfront.PriceClass.PRICE_CLASS_100,
      defaultBehavior: {
        origin: origins.S3BucketOrigin.withOriginAccessControl(asIBucket(this.bucket)),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
        cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: this.headers,
        compress: true,
      },
    });
    this.origin = `https://${this.distribution.distributionDomainName}`;

    const sources = [
      s3deploy.Source.jsonData("config.json", { gatewayUrl: props.gatewayUrl, issuerName: props.issuerName }),
    ];
    const pages = walletPages(props.walletDir);
    if (pages !== undefined) sources.unshift(pages);
    new s3deploy.BucketDeployment(this, "Deploy", {
      destinationBucket: asIBucket(this.bucket),
      sources,
      distribution: this.distribution,
      distributionPaths: ["/*"],
      prune: true,
      memoryLimit: 256,
    });
  }
}

/**
 * The wallet's pages as an asset: built with its own build.ts (wallet/build.ts exports buildWallet(outDir)) when
 * it has one, else the directory as it is. No wallet directory (a checkout without it): only config.json.
 */
function walletPages(dir: string): s3deploy.ISource | undefined {
  if (!existsSync(dir) || readdirSync(dir).length === 0) return undefined;
  const build = join(dir, "build.ts");
  if (!existsSync(build)) return s3deploy.Source.asset(dir);
  return s3deploy.Source.asset(dir, {
    bundling: {
      // Local bundling always runs (tsx is a dev dependency): the image is named, never pulled.
      image: DockerImage.fromRegistry("public.ecr.aws/docker/library/node:22-slim"),
      local: {
        tryBundle(outputDir: string) {
          const script = `const { buildWallet } = await import(${JSON.stringify(build)}); await buildWallet(${JSON.stringify(outputDir)});`;
          const run = spawnSync(
            process.execPath,
            ["--import", "tsx", "--conditions=blindgate-source", "--input-type=module", "-e", script],
            { cwd: REPO_ROOT, stdio: ["ignore", "inherit", "inherit"] },
          );
          if (run.status !== 0) throw new Error(`wallet build failed (${build}), exit ${run.status}`);
          return true;
        },
      },
    },
  });
}

/** aws-cdk-lib's IBucket declares optional properties without `| undefined`; exactOptionalPropertyTypes balks. */
function asIBucket(bucket: s3.Bucket): s3.IBucket {
  return bucket as unknown as s3.IBucket;
}
