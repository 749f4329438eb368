CREATE TABLE `routing_rule_versions` (
	`office_id` text NOT NULL,
	`version` integer NOT NULL,
	`rules` text NOT NULL,
	`changed_by` text,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`office_id`, `version`),
	FOREIGN KEY (`office_id`) REFERENCES `offices`(`id`) ON UPDATE no action ON DELETE no action
);
