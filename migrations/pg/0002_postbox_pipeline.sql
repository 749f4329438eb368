CREATE TABLE "efile_replies" (
	"office_id" text NOT NULL,
	"idempotency_key" text NOT NULL,
	"thread_id" text NOT NULL,
	"message_id" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "efile_replies_office_id_idempotency_key_pk" PRIMARY KEY("office_id","idempotency_key")
);
--> statement-breakpoint
CREATE TABLE "inbound_mails" (
	"id" text PRIMARY KEY NOT NULL,
	"office_id" text NOT NULL,
	"state" text NOT NULL,
	"reason" text,
	"channel" text NOT NULL,
	"size" integer NOT NULL,
	"header_count" integer NOT NULL,
	"part_count" integer NOT NULL,
	"attachment_count" integer NOT NULL,
	"blob_key" text,
	"thread_id" text,
	"message_id" text,
	"received_at" timestamp with time zone NOT NULL,
	"processed_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "notices" (
	"id" text PRIMARY KEY NOT NULL,
	"office_id" text NOT NULL,
	"citizen_id" text,
	"customer_number" text NOT NULL,
	"sender_notice_id" text NOT NULL,
	"notice_type" text NOT NULL,
	"digital" boolean NOT NULL,
	"document_kind" text NOT NULL,
	"document_state" text NOT NULL,
	"document_detail" text,
	"blob_key" text,
	"dek_wrapped" "bytea" NOT NULL,
	"dek_key_id" text NOT NULL,
	"subject_enc" "bytea" NOT NULL,
	"text_enc" "bytea",
	"address_enc" "bytea",
	"thread_id" text,
	"reference" text NOT NULL,
	"state" text NOT NULL,
	"channel" text,
	"channel_reason" text,
	"decision" jsonb,
	"decided_at" timestamp with time zone,
	"message_id" text,
	"provided_at" timestamp with time zone,
	"notify_state" text NOT NULL,
	"notify_error" text,
	"notified_at" timestamp with time zone,
	"retrieved_at" timestamp with time zone,
	"deemed_on" text,
	"legal_basis" text,
	"fallback_reason" text,
	"created_by_staff_id" text,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "notifications" (
	"id" text PRIMARY KEY NOT NULL,
	"citizen_id" text NOT NULL,
	"message_id" text NOT NULL,
	"channel" text NOT NULL,
	"state" text NOT NULL,
	"attempts" integer NOT NULL,
	"error" text,
	"external_id" text,
	"created_at" timestamp with time zone NOT NULL,
	"claimed_at" timestamp with time zone,
	"sent_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "postal_addresses" (
	"citizen_id" text PRIMARY KEY NOT NULL,
	"address_enc" "bytea" NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "print_jobs" (
	"id" text PRIMARY KEY NOT NULL,
	"notice_id" text NOT NULL,
	"office_id" text NOT NULL,
	"state" text NOT NULL,
	"reason" text NOT NULL,
	"blob_key" text NOT NULL,
	"pages" integer NOT NULL,
	"bytes" integer NOT NULL,
	"export_batch" text,
	"created_at" timestamp with time zone NOT NULL,
	"exported_at" timestamp with time zone,
	"handed_over_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "routing_rule_versions" (
	"office_id" text NOT NULL,
	"version" integer NOT NULL,
	"rules" jsonb NOT NULL,
	"changed_by" text,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "routing_rule_versions_office_id_version_pk" PRIMARY KEY("office_id","version")
);
--> statement-breakpoint
CREATE TABLE "service_center_items" (
	"id" text PRIMARY KEY NOT NULL,
	"office_id" text NOT NULL,
	"delivery_id" text NOT NULL,
	"message_id" text NOT NULL,
	"thread_id" text NOT NULL,
	"queue" text NOT NULL,
	"state" text NOT NULL,
	"claimed_by" text,
	"lease_until" timestamp with time zone,
	"due_at" timestamp with time zone NOT NULL,
	"overdue" boolean NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	"closed_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "attachments" ADD COLUMN "quarantined_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "attachments" ADD COLUMN "purged_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "messages" ADD COLUMN "checked_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "efile_replies" ADD CONSTRAINT "efile_replies_office_id_offices_id_fk" FOREIGN KEY ("office_id") REFERENCES "public"."offices"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "efile_replies" ADD CONSTRAINT "efile_replies_thread_id_threads_id_fk" FOREIGN KEY ("thread_id") REFERENCES "public"."threads"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "efile_replies" ADD CONSTRAINT "efile_replies_message_id_messages_id_fk" FOREIGN KEY ("message_id") REFERENCES "public"."messages"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "inbound_mails" ADD CONSTRAINT "inbound_mails_office_id_offices_id_fk" FOREIGN KEY ("office_id") REFERENCES "public"."offices"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "inbound_mails" ADD CONSTRAINT "inbound_mails_thread_id_threads_id_fk" FOREIGN KEY ("thread_id") REFERENCES "public"."threads"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "inbound_mails" ADD CONSTRAINT "inbound_mails_message_id_messages_id_fk" FOREIGN KEY ("message_id") REFERENCES "public"."messages"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "notices" ADD CONSTRAINT "notices_office_id_offices_id_fk" FOREIGN KEY ("office_id") REFERENCES "public"."offices"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "notices" ADD CONSTRAINT "notices_citizen_id_citizens_id_fk" FOREIGN KEY ("citizen_id") REFERENCES "public"."citizens"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "notifications" ADD CONSTRAINT "notifications_citizen_id_citizens_id_fk" FOREIGN KEY ("citizen_id") REFERENCES "public"."citizens"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "notifications" ADD CONSTRAINT "notifications_message_id_messages_id_fk" FOREIGN KEY ("message_id") REFERENCES "public"."messages"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "postal_addresses" ADD CONSTRAINT "postal_addresses_citizen_id_citizens_id_fk" FOREIGN KEY ("citizen_id") REFERENCES "public"."citizens"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "print_jobs" ADD CONSTRAINT "print_jobs_notice_id_notices_id_fk" FOREIGN KEY ("notice_id") REFERENCES "public"."notices"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "print_jobs" ADD CONSTRAINT "print_jobs_office_id_offices_id_fk" FOREIGN KEY ("office_id") REFERENCES "public"."offices"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "routing_rule_versions" ADD CONSTRAINT "routing_rule_versions_office_id_offices_id_fk" FOREIGN KEY ("office_id") REFERENCES "public"."offices"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "service_center_items" ADD CONSTRAINT "service_center_items_office_id_offices_id_fk" FOREIGN KEY ("office_id") REFERENCES "public"."offices"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "service_center_items" ADD CONSTRAINT "service_center_items_delivery_id_deliveries_id_fk" FOREIGN KEY ("delivery_id") REFERENCES "public"."deliveries"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "service_center_items" ADD CONSTRAINT "service_center_items_message_id_messages_id_fk" FOREIGN KEY ("message_id") REFERENCES "public"."messages"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "service_center_items" ADD CONSTRAINT "service_center_items_thread_id_threads_id_fk" FOREIGN KEY ("thread_id") REFERENCES "public"."threads"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "inbound_mails_office_state_idx" ON "inbound_mails" USING btree ("office_id","state","received_at");--> statement-breakpoint
CREATE UNIQUE INDEX "notices_sender_uq" ON "notices" USING btree ("office_id","sender_notice_id");--> statement-breakpoint
CREATE INDEX "notices_message_idx" ON "notices" USING btree ("message_id");--> statement-breakpoint
CREATE INDEX "notices_citizen_idx" ON "notices" USING btree ("citizen_id");--> statement-breakpoint
CREATE INDEX "notices_state_idx" ON "notices" USING btree ("channel","state");--> statement-breakpoint
CREATE INDEX "notices_office_created_idx" ON "notices" USING btree ("office_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "notifications_message_channel_uq" ON "notifications" USING btree ("message_id","channel");--> statement-breakpoint
CREATE INDEX "notifications_citizen_state_idx" ON "notifications" USING btree ("citizen_id","state");--> statement-breakpoint
CREATE UNIQUE INDEX "print_jobs_notice_uq" ON "print_jobs" USING btree ("notice_id");--> statement-breakpoint
CREATE INDEX "print_jobs_state_idx" ON "print_jobs" USING btree ("state");--> statement-breakpoint
CREATE UNIQUE INDEX "service_center_items_delivery_uq" ON "service_center_items" USING btree ("delivery_id");--> statement-breakpoint
CREATE INDEX "service_center_items_queue_idx" ON "service_center_items" USING btree ("office_id","queue","state","due_at");--> statement-breakpoint
CREATE INDEX "service_center_items_due_idx" ON "service_center_items" USING btree ("state","due_at");--> statement-breakpoint
CREATE INDEX "deliveries_external_idx" ON "deliveries" USING btree ("destination_kind","external_id");--> statement-breakpoint
CREATE INDEX "messages_trashed_idx" ON "messages" USING btree ("trashed_at");